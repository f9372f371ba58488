package command

import (
	"log/slog"
	"time"

	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// engagementServices adds the provider webhooks, consent export,
// analytics, the public check-in page and the write-back failures API to
// the HTTP services. Without SENDGRID_WEBHOOK_PUBLIC_KEY every SendGrid
// batch is refused (401); without TWILIO_AUTH_TOKEN every Twilio webhook is
// (403); without HERALD_SESSION_SECRET there are no check-in links.
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
	if e.CheckinLinksEnabled() {
		s.Checkins = e
	}
	if wf, ok := d.app.writeback.(web.WritebackFailures); ok {
		s.WritebackFailures = wf
	}
}

// engagementConfig is engagement's configuration from the environment.
func engagementConfig(cfg config.Config) engagement.Config {
	return engagement.Config{FirmName: cfg.FirmName, FirmPhone: cfg.FirmPhone,
		HeraldRepliesToKeywords: cfg.SMSKeywordReplies == "herald",
		EscalateBefore:          cfg.EscalateBefore,
		MinSends:                cfg.UnderperformMinSends,
		MinOpenRate:             cfg.UnderperformOpenRate,
		MinDeliveryRate:         cfg.UnderperformSMSDeliveryRate}
}

// newCheckinLinks signs the satisfaction check-in links with a key derived
// from HERALD_SESSION_SECRET. Without the secret (allowed in dev only)
// there are none: a template using {{ checkin_link }} is then refused at
// render time with the reason, rather than sent with a dead link, and a
// random per-process key is not used because serve and work must agree.
func newCheckinLinks(cfg config.Config, log *slog.Logger) *engagement.CheckinLinks {
	if cfg.SessionSecret == "" {
		log.Warn("check-in links are disabled: set HERALD_SESSION_SECRET to email satisfaction check-ins")
		return nil
	}
	l, err := engagement.NewCheckinLinks(cfg.SessionSecret, cfg.PublicURL, cfg.CheckinLinkTTL)
	if err != nil {
		log.Error("check-in links are disabled", "error", err)
		return nil
	}
	return l
}

// checkinLinkFunc is the planner's {{ checkin_link }} source, nil without links.
func checkinLinkFunc(l *engagement.CheckinLinks) func(caseID, clientID int64, now time.Time) string {
	if l == nil {
		return nil
	}
	return l.Link
}
