package command

import (
	"fmt"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/jobs"
)

// services builds the domain services the HTTP layer calls.
func services(d *deps) web.Services {
	return web.Services{
		CMSIngest:  ingestService(d),
		Pauses:     pause.New(d.db, d.clock),
		CaseFinder: cases.New(d.db, d.clock, d.cfg.Location()),
	}
}

// registerJobs wires task handlers and sweeps to the domain.
func registerJobs(w *jobs.Worker, d *deps) {
	ing := ingestService(d)
	w.Handle(jobs.TypeProcessEvent, jobs.ProcessEvent(ing, d.log))
	w.AddSweep(jobs.IngestSweep(ing, d.cfg.SweepInterval))
	for _, s := range jobs.PlanSweeps(planner(d), pause.New(d.db, d.clock), d.cfg.SweepInterval) {
		w.AddSweep(s)
	}
}

// ingestService builds the CMS ingest path. Enricher (Clio) and Planner
// (rules) are set here once they exist.
func ingestService(d *deps) *ingest.Service {
	svc, err := ingest.New(d.db, d.cfg, d.clock, statuses.New(d.db, d.clock), cases.New(d.db, d.clock, d.cfg.Location()),
		ingest.Options{Enqueuer: d.jobs, Planner: planner(d), Log: d.log})
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
