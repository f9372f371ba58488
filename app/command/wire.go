package command

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/jobs"
)

// deps is every long-lived dependency, built once per process.
type deps struct {
	cfg      config.Config
	db       *store.DB
	redis    *redis.Client
	redisOpt asynq.RedisClientOpt
	jobs     *jobs.Client
	clock    clock.Clock
	log      *slog.Logger
	metrics  *telemetry.Metrics
	// app is every domain service, built once by newDomain and shared by
	// the HTTP server and the worker.
	app *domain
}

// loadConfig reads and validates the configuration.
func loadConfig(getenv func(string) string) (config.Config, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return cfg, err
	}
	return cfg, nil
}

// build opens PostgreSQL and Redis and builds every domain service once. It
// does not require PostgreSQL or Redis to be up: the server answers 503 and
// the worker retries until they are.
func build(ctx context.Context, cfg config.Config, logOut io.Writer) (*deps, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	rc, opt, err := store.OpenRedis(cfg.RedisURL)
	if err != nil {
		db.Close()
		return nil, err
	}
	ropt := asynq.RedisClientOpt{Addr: opt.Addr, DB: opt.DB, Username: opt.Username, Password: opt.Password, TLSConfig: opt.TLSConfig}
	d := &deps{
		cfg:      cfg,
		db:       db,
		redis:    rc,
		redisOpt: ropt,
		jobs:     jobs.NewClient(ropt),
		clock:    clock.Real{},
		log:      telemetry.NewLogger(cfg.Env, logOut, slog.LevelInfo),
		metrics:  telemetry.NewMetrics(),
	}
	app, err := newDomain(d)
	if err != nil {
		d.close()
		return nil, err
	}
	d.app = app
	return d, nil
}

func (d *deps) close() {
	d.jobs.Close()
	d.redis.Close()
	d.db.Close()
}

// openDB opens just PostgreSQL and checks it answers, for one-shot commands.
func openDB(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w (is PostgreSQL running? `make services` starts it)", err)
	}
	return db, nil
}
