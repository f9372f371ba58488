package command

import (
	"fmt"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/jobs"
)

// services builds the domain services the HTTP layer calls.
func services(d *deps) web.Services {
	return web.Services{
		CMSIngest: ingestService(d),
	}
}

// registerJobs wires task handlers and sweeps to the domain.
func registerJobs(w *jobs.Worker, d *deps) {
	ing := ingestService(d)
	w.Handle(jobs.TypeProcessEvent, jobs.ProcessEvent(ing, d.log))
	w.AddSweep(jobs.IngestSweep(ing, d.cfg.SweepInterval))
}

// ingestService builds the CMS ingest path. Enricher (Clio) and Planner
// (rules) are set here once they exist.
func ingestService(d *deps) *ingest.Service {
	svc, err := ingest.New(d.db, d.cfg, d.clock, statuses.New(d.db, d.clock), cases.New(d.db, d.clock, d.cfg.Location()),
		ingest.Options{Enqueuer: d.jobs, Log: d.log})
	if err != nil {
		// Only a broken mapping embedded from config/sources gets here.
		panic(fmt.Sprintf("herald: CMS source mappings are invalid: %v", err))
	}
	return svc
}
