package command

import (
	"fmt"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery/twilio"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/app/writeback"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/jobs"
)

// engagementService builds provider-webhook, inbound SMS and engagement
// processing. With live delivery, Twilio lookups reconcile SMS stuck in sent.
func engagementService(d *deps) *engagement.Service {
	var lookup engagement.SMSLookup
	if d.cfg.Delivery != config.DeliverySandbox && d.cfg.TwilioAccountSID != "" {
		tw, err := twilio.New(twilio.Config{AccountSID: d.cfg.TwilioAccountSID, AuthToken: d.cfg.TwilioAuthToken,
			FromNumber: d.cfg.TwilioFromNumber, MessagingServiceSID: d.cfg.TwilioMessagingServiceSID,
			BaseURL: d.cfg.TwilioBaseURL, PublicURL: d.cfg.PublicURL, Now: d.clock.Now})
		if err != nil {
			panic(fmt.Sprintf("herald: Twilio settings are invalid: %v", err)) // config.Validate checks them first
		}
		lookup = tw
	}
	svc, err := engagement.New(engagement.Deps{DB: d.db, Ledger: ledger.New(d.db, d.clock), Consent: consent.New(d.db, d.clock),
		Pauses: pause.New(d.db, d.clock), Lookup: lookup, Enqueuer: d.jobs, Clock: d.clock, Log: d.log},
		engagement.Config{FirmName: d.cfg.FirmName, FirmPhone: d.cfg.FirmPhone})
	if err != nil {
		panic(fmt.Sprintf("herald: engagement wiring is incomplete: %v", err))
	}
	return svc
}

// engagementServices adds the provider webhooks, consent export and
// analytics to the HTTP services. Without SENDGRID_WEBHOOK_PUBLIC_KEY every
// SendGrid batch is refused (401); without TWILIO_AUTH_TOKEN every Twilio
// webhook is (403).
func engagementServices(d *deps, s *web.Services) {
	e := engagementService(d)
	s.SendGridEvents, s.TwilioWebhooks, s.Analytics = e, e, e
	s.TwilioVerifier = engagement.NewTwilioVerifier(d.cfg.PublicURL, d.cfg.TwilioAuthToken)
	if key := d.cfg.SendGridWebhookPublicKey; key != "" {
		v, err := engagement.NewSendGridVerifier(key, d.clock)
		if err != nil {
			d.log.Error("SendGrid events will be refused", "error", err)
		} else {
			s.SendGridVerifier = v
		}
	}
	s.ConsentExport = consent.New(d.db, d.clock)
}

// writebackSweeper returns the CMS write-back, or nil when neither Clio
// (CLIO_ACCESS_TOKEN) nor HERALD_WRITEBACK_URL is configured.
func writebackSweeper(d *deps) jobs.WritebackSweeper {
	deps := writeback.Deps{DB: d.db, Clock: d.clock, Log: d.log}
	if c := clioAPI(d); c != nil {
		deps.Clio = c // only a non-nil client: a nil *clio.Client would be a non-nil Notes
	}
	if deps.Clio == nil && d.cfg.WritebackURL == "" {
		return nil
	}
	svc, err := writeback.New(deps, writeback.Config{WebhookURL: d.cfg.WritebackURL, WebhookSecret: d.cfg.WritebackSecret})
	if err != nil {
		panic(fmt.Sprintf("herald: write-back settings are invalid: %v", err)) // config.Validate checks them first
	}
	return svc
}
