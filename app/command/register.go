package command

import (
	"strings"
	"time"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/jobs"
)

// services hands the HTTP layer the domain services built once in
// newDomain (d.app); the worker (registerJobs) shares the same instances.
func services(d *deps) web.Services {
	a := d.app
	s := web.Services{
		CMSIngest:  a.ingest,
		Pauses:     a.pauses,
		CaseFinder: a.cases,

		CaseReader:        a.cases,
		Timeline:          a.ledger,
		DeadLetters:       a.ledger,
		DeadLetterRetrier: a.delivery,
		ClioWebhooks:      a.clioHooks,
		Portal:            portalServices(d),
	}
	engagementServices(d, &s)
	return s
}

// portalServices builds the staff portal: sign-in (sessions keyed from
// HERALD_SESSION_SECRET, the configured providers, the allowlist), the read
// model and the domain services its screens act through.
func portalServices(d *deps) *web.PortalServices {
	a := d.app
	return &web.PortalServices{
		Users:     auth.NewUsers(d.db, d.clock),
		Sessions:  auth.NewSessions(d.cfg.SessionSecret, d.cfg.SessionTTL, strings.HasPrefix(d.cfg.PublicURL, "https://"), d.clock),
		Providers: auth.NewProviders(d.cfg.OAuth, d.cfg.PublicURL, nil),
		Policy:    auth.Policy{AllowedDomains: d.cfg.AllowedDomains, AllowedEmails: d.cfg.AllowedEmails, DefaultRole: d.cfg.DefaultStaffRole},
		DevLogin:  d.cfg.DevLogin && d.cfg.Env == config.EnvDev,
		Read:      a.portal,
		Firm:      portal.FirmVars{Name: d.cfg.FirmName, Phone: d.cfg.FirmPhone, PortalURL: d.cfg.PublicURL},
		Templates: a.templates,
		Preview:   a.engine,
		Statuses:  a.statuses,
		Tasks:     a.tasks,
		Approvals: a.planner,
		Rules:     a.ruleEditor,
		Settings:  a.settings,
		Replies:   a.engagement,
		Held:      a.delivery,
	}
}

// registerJobs wires task handlers and sweeps to the domain services built
// once in newDomain (d.app), the same instances the HTTP side uses.
func registerJobs(w *jobs.Worker, d *deps) {
	a := d.app
	w.Handle(jobs.TypeProcessEvent, jobs.ProcessEvent(a.ingest, d.log))
	w.AddSweep(jobs.IngestSweep(a.ingest, d.cfg.SweepInterval))
	w.AddSweep(jobs.ClioRenewSweep(a.clioHooks, time.Hour))
	w.AddSweep(jobs.PollSweep(a.poller, d.cfg.SweepInterval))
	for _, s := range jobs.PlanSweeps(a.planner, a.pauses, d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
	w.Handle(jobs.TypeDeliverMessage, jobs.DeliverMessage(a.delivery))
	for _, s := range jobs.DeliverySweeps(a.delivery, d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
	for _, s := range jobs.EngagementSweeps(a.engagement, a.writeback, d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
}
