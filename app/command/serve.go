package command

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/jobs"
)

// shutdownGrace is how long in-flight requests and tasks get on SIGTERM.
const shutdownGrace = 20 * time.Second

func runServe(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("serve", "serve [flags]\n\nServes the portal, CMS and provider webhooks, the JSON API, /healthz, /readyz and /metrics on HERALD_HTTP_ADDR.", pio.Stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := setup(ctx, pio)
	if err != nil {
		return err
	}
	defer d.close()
	return serve(ctx, d, nil)
}

func runWork(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("work", "work [flags]\n\nRuns the asynq worker (event processing, delivery), the scheduler and the sweeper that re-enqueues rows Redis lost.", pio.Stdout)
	concurrency := fs.Int("concurrency", 20, "tasks processed at once")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := setup(ctx, pio)
	if err != nil {
		return err
	}
	defer d.close()
	return work(ctx, d, *concurrency)
}

func runBoth(ctx context.Context, args []string, pio IO) error {
	fs := newFlags("run", "run [flags]\n\nRuns serve and work in one process, as `make dev` does.", pio.Stdout)
	concurrency := fs.Int("concurrency", 20, "tasks processed at once")
	if err := parse(fs, args); err != nil {
		return err
	}
	d, err := setup(ctx, pio)
	if err != nil {
		return err
	}
	defer d.close()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return serve(gctx, d, nil) })
	g.Go(func() error { return work(gctx, d, *concurrency) })
	return g.Wait()
}

func setup(ctx context.Context, pio IO) (*deps, error) {
	cfg, err := loadConfig(pio.Getenv)
	if err != nil {
		return nil, err
	}
	return build(ctx, cfg, pio.Stderr)
}

// serve listens until ctx is done, then stops accepting and lets in-flight
// requests finish. ready, when not nil, receives the bound address.
func serve(ctx context.Context, d *deps, ready chan<- string) error {
	insp := asynq.NewInspector(d.redisOpt)
	defer insp.Close()
	app := web.New(web.Deps{
		Config:    d.cfg,
		DB:        d.db,
		Redis:     d.redis,
		Inspector: insp,
		Log:       d.log,
		Metrics:   d.metrics,
		Clock:     d.clock,
		Services:  services(d),
	})
	ln, err := net.Listen("tcp", d.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on HERALD_HTTP_ADDR %s: %w", d.cfg.HTTPAddr, err)
	}
	d.log.Info("herald serving", "addr", ln.Addr().String(), "url", d.cfg.PublicURL, "env", d.cfg.Env, "delivery", d.cfg.Delivery)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	d.log.Info("shutting down http server", "grace", shutdownGrace.String())
	if err := app.ShutdownWithTimeout(shutdownGrace); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// work runs the worker until ctx is done, then shuts it down gracefully.
func work(ctx context.Context, d *deps, concurrency int) error {
	w := jobs.NewWorker(d.redisOpt, concurrency, shutdownGrace, d.log)
	registerJobs(w, d)
	d.log.Info("herald worker started", "concurrency", concurrency, "sweep_interval", d.cfg.SweepInterval.String())
	err := w.Run(ctx)
	d.log.Info("herald worker stopped")
	return err
}
