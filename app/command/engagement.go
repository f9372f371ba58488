package command

import (
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/web"
)

// engagementServices adds the provider webhooks, consent export and
// analytics to the HTTP services. Without SENDGRID_WEBHOOK_PUBLIC_KEY every
// SendGrid batch is refused (401); without TWILIO_AUTH_TOKEN every Twilio
// webhook is (403).
func engagementServices(d *deps, s *web.Services) {
	e := d.app.engagement
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
	s.ConsentExport = d.app.consent
}
