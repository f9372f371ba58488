package command

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
	"github.com/heraldhq/herald/app/delivery/sendgrid"
	"github.com/heraldhq/herald/app/delivery/twilio"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/poll"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/tasks"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/jobs"
)

// services builds the domain services the HTTP layer calls.
func services(d *deps) web.Services {
	s := web.Services{
		CMSIngest:  ingestService(d),
		Pauses:     pause.New(d.db, d.clock),
		CaseFinder: cases.New(d.db, d.clock, d.cfg.Location()),

		CaseReader:        cases.New(d.db, d.clock, d.cfg.Location()),
		Timeline:          ledger.New(d.db, d.clock),
		DeadLetters:       ledger.New(d.db, d.clock),
		DeadLetterRetrier: deliveryService(d),
		ClioWebhooks:      clio.NewWebhooks(d.db, d.clock, ingestService(d), clioAPI(d)),
		Portal:            portalServices(d),
	}
	engagementServices(d, &s)
	return s
}

// portalServices builds the staff portal: sign-in (sessions keyed from
// HERALD_SESSION_SECRET, the configured providers, the allowlist), the read
// model and the domain services its screens act through.
func portalServices(d *deps) *web.PortalServices {
	engine := render.New(render.Options{Now: d.clock.Now, FirmLocation: d.cfg.Location(), Locale: d.cfg.DefaultLang})
	return &web.PortalServices{
		Users:     auth.NewUsers(d.db, d.clock),
		Sessions:  auth.NewSessions(d.cfg.SessionSecret, d.cfg.SessionTTL, strings.HasPrefix(d.cfg.PublicURL, "https://"), d.clock),
		Providers: auth.NewProviders(d.cfg.OAuth, d.cfg.PublicURL, nil),
		Policy:    auth.Policy{AllowedDomains: d.cfg.AllowedDomains, AllowedEmails: d.cfg.AllowedEmails, DefaultRole: d.cfg.DefaultStaffRole},
		DevLogin:  d.cfg.DevLogin && d.cfg.Env == config.EnvDev,
		Read:      portal.New(d.db, d.clock, d.cfg.Location()),
		Firm:      portal.FirmVars{Name: d.cfg.FirmName, Phone: d.cfg.FirmPhone, PortalURL: d.cfg.PublicURL},
		Templates: content.New(d.db, engine, d.clock, d.cfg.DefaultLang),
		Preview:   engine,
		Statuses:  statuses.New(d.db, d.clock),
		Tasks:     tasks.New(d.db, d.clock),
		Approvals: planner(d),
	}
}

// registerJobs wires task handlers and sweeps to the domain.
func registerJobs(w *jobs.Worker, d *deps) {
	ing := ingestService(d)
	w.Handle(jobs.TypeProcessEvent, jobs.ProcessEvent(ing, d.log))
	w.AddSweep(jobs.IngestSweep(ing, d.cfg.SweepInterval))
	w.AddSweep(jobs.ClioRenewSweep(clio.NewWebhooks(d.db, d.clock, ing, clioAPI(d)), time.Hour))
	w.AddSweep(jobs.PollSweep(poller(d, ing), d.cfg.SweepInterval))
	for _, s := range jobs.PlanSweeps(planner(d), pause.New(d.db, d.clock), d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
	dl := deliveryService(d)
	w.Handle(jobs.TypeDeliverMessage, jobs.DeliverMessage(dl))
	for _, s := range jobs.DeliverySweeps(dl, d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
	for _, s := range jobs.EngagementSweeps(engagementService(d), writebackSweeper(d), d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
}

// deliveryService builds delivery over the senders the configuration
// selects: the sandbox when HERALD_DELIVERY=sandbox, else SendGrid for
// email and Twilio for SMS (which also reconciles unknown outcomes).
func deliveryService(d *deps) *delivery.Service {
	var email, sms delivery.Sender
	var lookup delivery.SMSLookup
	if d.cfg.Delivery == config.DeliverySandbox {
		sb := sandbox.New(d.clock.Now)
		email, sms = sb, sb
	} else {
		sg, err := sendgrid.New(sendgrid.Config{APIKey: d.cfg.SendGridAPIKey, BaseURL: d.cfg.SendGridBaseURL,
			FromEmail: d.cfg.EmailFrom, FromName: d.cfg.EmailFromName, Now: d.clock.Now})
		if err != nil {
			panic(fmt.Sprintf("herald: SendGrid settings are invalid: %v", err)) // config.Validate checks them first
		}
		tw, err := twilio.New(twilio.Config{AccountSID: d.cfg.TwilioAccountSID, AuthToken: d.cfg.TwilioAuthToken,
			FromNumber: d.cfg.TwilioFromNumber, MessagingServiceSID: d.cfg.TwilioMessagingServiceSID,
			BaseURL: d.cfg.TwilioBaseURL, PublicURL: d.cfg.PublicURL, Now: d.clock.Now})
		if err != nil {
			panic(fmt.Sprintf("herald: Twilio settings are invalid: %v", err))
		}
		email, sms, lookup = sg, tw, tw
	}
	svc, err := delivery.NewService(delivery.Deps{
		Ledger:   ledger.New(d.db, d.clock),
		Senders:  map[string]delivery.Sender{delivery.ChannelEmail: email, delivery.ChannelSMS: sms},
		Lookup:   lookup,
		Pauses:   pause.New(d.db, d.clock),
		Consent:  consent.New(d.db, d.clock),
		Enqueuer: d.jobs,
		Clock:    d.clock,
		Log:      d.log,
		Metrics:  d.metrics,
	}, delivery.Config{
		RetrySchedule: d.cfg.RetrySchedule,
		Window:        smsWindow(d.cfg),
		AlertEmails:   d.cfg.AlertEmails,
		AlertWebhook:  d.cfg.AlertWebhook,
		PublicURL:     d.cfg.PublicURL,
	})
	if err != nil {
		panic(fmt.Sprintf("herald: delivery wiring is incomplete: %v", err))
	}
	return svc
}

// ingestService builds the CMS ingest path. Enricher (Clio) and Planner
// (rules) are set here once they exist.
func ingestService(d *deps) *ingest.Service {
	svc, err := ingest.New(d.db, d.cfg, d.clock, statuses.New(d.db, d.clock), cases.New(d.db, d.clock, d.cfg.Location()),
		ingest.Options{Enqueuer: d.jobs, Planner: planner(d), Log: d.log, Enricher: clio.Enricher{API: clioAPI(d)}})
	if err != nil {
		// Only a broken mapping embedded from config/sources gets here.
		panic(fmt.Sprintf("herald: CMS source mappings are invalid: %v", err))
	}
	return svc
}

// planner builds the rules engine: it plans messages from case changes and
// runs the reminder, inactivity and approval sweeps.
func planner(d *deps) *rules.Planner {
	engine := render.New(render.Options{Now: d.clock.Now, FirmLocation: d.cfg.Location(), Locale: d.cfg.DefaultLang})
	return rules.NewPlanner(rules.Deps{
		DB:    d.db,
		Clock: d.clock,
		Config: rules.Config{SettleDelay: d.cfg.SettleDelay, FirmName: d.cfg.FirmName, FirmPhone: d.cfg.FirmPhone,
			PortalURL: d.cfg.PublicURL, DefaultLang: d.cfg.DefaultLang, FirmLocation: d.cfg.Location()},
		Pauses:    pause.New(d.db, d.clock),
		OptOuts:   consent.New(d.db, d.clock),
		Templates: content.New(d.db, engine, d.clock, d.cfg.DefaultLang),
		Engine:    engine,
		Cases:     cases.New(d.db, d.clock, d.cfg.Location()),
		Enqueue:   d.jobs,
	})
}

// smsWindow is the configured SMS window and days, with the shipped
// stricter per-state overrides.
func smsWindow(cfg config.Config) delivery.WindowPolicy {
	p := delivery.DefaultWindowPolicy(delivery.Window{Start: cfg.SMSWindow.Start, End: cfg.SMSWindow.End}, cfg.Location())
	if len(cfg.SMSDays) < 7 {
		p.Days = cfg.SMSDays
	}
	p.Region = cfg.DefaultRegion
	return p
}

// clioAPI is the Clio Manage client, nil when CLIO_ACCESS_TOKEN is unset
// (the Clio enricher then fails events with a fix, and nothing is renewed).
func clioAPI(d *deps) *clio.Client {
	if d.cfg.ClioAccessToken == "" {
		return nil
	}
	c, err := clio.New(clio.Config{BaseURL: d.cfg.ClioBaseURL, AccessToken: d.cfg.ClioAccessToken, Clock: d.clock})
	if err != nil {
		panic(fmt.Sprintf("herald: Clio settings are invalid: %v", err)) // config.Validate checks them first
	}
	return c
}

// poller polls the shipped sources of kind poll. Each source's token
// variable is named in its YAML (secret_env), so it is read here rather
// than in config.Config; a source whose variable is unset is not polled.
func poller(d *deps, ing *ingest.Service) *poll.Poller {
	srcs, err := poll.Shipped()
	if err != nil {
		panic(fmt.Sprintf("herald: CMS source mappings are invalid: %v", err))
	}
	return poll.New(d.db, ing, d.clock, os.Getenv, srcs, nil)
}
