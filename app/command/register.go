package command

import (
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/jobs"
)

// services builds the domain services the HTTP layer calls.
func services(d *deps) web.Services {
	return web.Services{}
}

// registerJobs wires task handlers and sweeps to the domain.
func registerJobs(w *jobs.Worker, d *deps) {
}
