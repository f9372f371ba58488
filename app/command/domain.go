package command

import (
	"fmt"
	"os"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
	"github.com/heraldhq/herald/app/delivery/sendgrid"
	"github.com/heraldhq/herald/app/delivery/twilio"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/poll"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/settings"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/tasks"
	"github.com/heraldhq/herald/app/writeback"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/jobs"
)

// domain is every domain service, each built exactly once per process by
// newDomain. The HTTP side (services) and the worker side (registerJobs)
// take their pieces from here, so both act through the same instances.
type domain struct {
	engine     *render.Engine
	cases      *cases.Service
	ledger     *ledger.Store
	pauses     *pause.Service
	consent    *consent.Store
	statuses   *statuses.Service
	tasks      *tasks.Service
	templates  *content.Store
	planner    *rules.Planner
	ingest     *ingest.Service
	delivery   *delivery.Service
	engagement *engagement.Service
	portal     *portal.Reader
	// settings are the firm settings saved in the portal, over the
	// environment's; ruleEditor changes rules from the portal.
	settings   *settings.Store
	ruleEditor *rules.Editor

	// clio is nil when CLIO_ACCESS_TOKEN is unset (the Clio enricher then
	// fails events with a fix, and nothing is renewed).
	clio      *clio.Client
	clioHooks *clio.Webhooks
	poller    *poll.Poller
	// writeback is nil when neither Clio nor HERALD_WRITEBACK_URL is set.
	writeback jobs.WritebackSweeper

	// checkinLinks signs the emailed satisfaction check-in links; nil
	// without HERALD_SESSION_SECRET.
	checkinLinks *engagement.CheckinLinks
}

// newDomain builds the domain services in dependency order. Its errors
// name the setting at fault; config.Validate catches most of them first.
func newDomain(d *deps) (*domain, error) {
	cfg, clk, db := d.cfg, d.clock, d.db
	m := &domain{
		engine:   render.New(render.Options{Now: clk.Now, FirmLocation: cfg.Location(), Locale: cfg.DefaultLang}),
		cases:    cases.New(db, clk, cfg.Location()),
		ledger:   ledger.New(db, clk),
		pauses:   pause.New(db, clk),
		consent:  consent.New(db, clk),
		statuses: statuses.New(db, clk),
		tasks:    tasks.New(db, clk),
		portal:   portal.New(db, clk, cfg.Location()),
	}
	m.templates = content.New(db, m.engine, clk, cfg.DefaultLang)
	m.checkinLinks = newCheckinLinks(cfg, d.log)
	m.settings = settings.New(db, clk, firmSettings(cfg), settings.Options{RequireHTTPS: cfg.Env == config.EnvProd, Region: cfg.DefaultRegion})
	m.ruleEditor = rules.NewEditor(db, clk, m.templates)
	m.planner = rules.NewPlanner(rules.Deps{
		DB:    db,
		Clock: clk,
		Config: rules.Config{SettleDelay: cfg.SettleDelay, FirmName: cfg.FirmName, FirmPhone: cfg.FirmPhone,
			PortalURL: cfg.PublicURL, DefaultLang: cfg.DefaultLang, FirmLocation: cfg.Location(),
			CheckinLink: checkinLinkFunc(m.checkinLinks)},
		Pauses:    m.pauses,
		OptOuts:   m.consent,
		Templates: m.templates,
		Engine:    m.engine,
		Cases:     m.cases,
		Enqueue:   d.jobs,
		Settings:  m.settings,
	})

	if cfg.ClioAccessToken != "" {
		c, err := clio.New(clio.Config{BaseURL: cfg.ClioBaseURL, AccessToken: cfg.ClioAccessToken, Clock: clk})
		if err != nil {
			return nil, fmt.Errorf("Clio settings (CLIO_BASE_URL, CLIO_ACCESS_TOKEN) are invalid: %w", err)
		}
		m.clio = c
	}
	var matters clio.MatterAPI
	if m.clio != nil {
		matters = m.clio // only a non-nil client: a nil *clio.Client would be a non-nil interface
	}
	ing, err := ingest.New(db, cfg, clk, m.statuses, m.cases,
		ingest.Options{Enqueuer: d.jobs, Planner: m.planner, Pauser: m.pauses, Log: d.log, Enricher: clio.Enricher{API: matters}})
	if err != nil {
		return nil, fmt.Errorf("CMS source mappings (config/sources) are invalid: %w", err)
	}
	m.ingest = ing
	var hooksAPI clio.WebhookAPI
	if m.clio != nil {
		hooksAPI = m.clio
	}
	// Clio webhook secrets are sealed with HERALD_DATA_KEY. Without a key
	// (prod with no CLIO_ACCESS_TOKEN, which config allows) no webhook can be
	// registered, and any call that needs a secret says what to set.
	box, err := clio.NewSecretBox(cfg.DataKeyList())
	if err != nil && m.clio != nil {
		return nil, err
	}
	m.clioHooks = clio.NewWebhooks(db, clk, ing, hooksAPI, box)
	srcs, err := poll.Shipped()
	if err != nil {
		return nil, fmt.Errorf("CMS source mappings (config/sources) are invalid: %w", err)
	}
	// Each poll source names its token variable in its YAML (secret_env), so
	// the poller reads the environment rather than config.Config; a source
	// whose variable is unset is not polled.
	m.poller = poll.New(db, ing, clk, os.Getenv, srcs, nil)

	if err := m.buildDelivery(d); err != nil {
		return nil, err
	}
	if err := m.buildWriteback(d); err != nil {
		return nil, err
	}
	return m, nil
}

// buildDelivery builds delivery over the senders the configuration selects
// (the sandbox when HERALD_DELIVERY=sandbox, else SendGrid for email and
// Twilio for SMS), and engagement, which with live Twilio reconciles SMS
// stuck in sent through the same Twilio client.
func (m *domain) buildDelivery(d *deps) error {
	cfg := d.cfg
	var email, sms delivery.Sender
	var lookup delivery.SMSLookup
	var tw *twilio.Sender
	if cfg.Delivery == config.DeliverySandbox {
		sb := sandbox.New(d.clock.Now)
		email, sms = sb, sb
	} else {
		sg, err := sendgrid.New(sendgrid.Config{APIKey: cfg.SendGridAPIKey, BaseURL: cfg.SendGridBaseURL,
			FromEmail: cfg.EmailFrom, FromName: cfg.EmailFromName, Now: d.clock.Now})
		if err != nil {
			return fmt.Errorf("SendGrid settings are invalid: %w", err)
		}
		tw, err = twilio.New(twilio.Config{AccountSID: cfg.TwilioAccountSID, AuthToken: cfg.TwilioAuthToken,
			FromNumber: cfg.TwilioFromNumber, MessagingServiceSID: cfg.TwilioMessagingServiceSID,
			BaseURL: cfg.TwilioBaseURL, PublicURL: cfg.PublicURL, Now: d.clock.Now})
		if err != nil {
			return fmt.Errorf("Twilio settings are invalid: %w", err)
		}
		email, sms, lookup = sg, tw, tw
	}
	svc, err := delivery.NewService(delivery.Deps{
		Ledger:   m.ledger,
		Senders:  map[string]delivery.Sender{delivery.ChannelEmail: email, delivery.ChannelSMS: sms},
		Lookup:   lookup,
		Pauses:   m.pauses,
		Consent:  m.consent,
		Reads:    d.db.Pool,
		Enqueuer: d.jobs,
		Clock:    d.clock,
		Log:      d.log,
		Metrics:  d.metrics,
		Settings: m.settings,
	}, delivery.Config{
		RetrySchedule:  cfg.RetrySchedule,
		Lease:          cfg.SendLease,
		SweepGrace:     cfg.SweepGrace,
		ReconcileGrace: cfg.ReconcileGrace,
		Window:         smsWindow(cfg),
		AlertEmails:    cfg.AlertEmails,
		AlertWebhook:   cfg.AlertWebhook,
		PublicURL:      cfg.PublicURL,
	})
	if err != nil {
		return fmt.Errorf("delivery wiring is incomplete: %w", err)
	}
	m.delivery = svc

	var smsLookup engagement.SMSLookup
	if tw != nil {
		smsLookup = tw
	}
	eng, err := engagement.New(engagement.Deps{DB: d.db, Ledger: m.ledger, Consent: m.consent,
		Pauses: m.pauses, Lookup: smsLookup, Enqueuer: d.jobs, Clock: d.clock, Log: d.log, Checkin: m.checkinLinks,
		Settings: m.settings},
		engagementConfig(cfg))
	if err != nil {
		return fmt.Errorf("engagement wiring is incomplete: %w", err)
	}
	m.engagement = eng
	return nil
}

// buildWriteback builds the CMS write-back when Clio (CLIO_ACCESS_TOKEN) or
// HERALD_WRITEBACK_URL is configured.
func (m *domain) buildWriteback(d *deps) error {
	wd := writeback.Deps{DB: d.db, Clock: d.clock, Log: d.log}
	if m.clio != nil {
		wd.Clio = m.clio // only a non-nil client: a nil *clio.Client would be a non-nil Notes
	}
	if wd.Clio == nil && d.cfg.WritebackURL == "" {
		return nil
	}
	svc, err := writeback.New(wd, writeback.Config{WebhookURL: d.cfg.WritebackURL, WebhookSecret: d.cfg.WritebackSecret})
	if err != nil {
		return fmt.Errorf("write-back settings (HERALD_WRITEBACK_URL, HERALD_WRITEBACK_SECRET) are invalid: %w", err)
	}
	m.writeback = svc
	return nil
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
