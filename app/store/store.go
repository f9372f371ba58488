// Package store opens Herald's PostgreSQL and Redis connections and applies
// the embedded migrations. It owns no domain tables.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/redis/go-redis/v9"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/heraldhq/herald/migrations"
)

// ErrUnavailable wraps connection failures so HTTP handlers can answer 503.
var ErrUnavailable = errors.New("database unavailable")

// DB bundles the GORM handle for CRUD and the pgx pool for hot paths.
type DB struct {
	Gorm *gorm.DB
	Pool *pgxpool.Pool
	SQL  *sql.DB
}

// Open connects to PostgreSQL. It does not ping: callers decide whether a
// down database is fatal (migrate) or a 503 (serve).
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	cfg.ConnConfig.ConnectTimeout = 3 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open pgx pool: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open gorm: %w", err)
	}
	return &DB{Gorm: g, Pool: pool, SQL: sqlDB}, nil
}

// Ping checks PostgreSQL answers within the context's deadline.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.Pool.Ping(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

// Close releases every connection.
func (d *DB) Close() {
	_ = d.SQL.Close()
	d.Pool.Close()
}

// Migrate runs a goose command ("up", "down", "status", "reset") against the
// embedded migrations and writes progress to out.
func Migrate(ctx context.Context, sqlDB *sql.DB, command string, out io.Writer) error {
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	switch command {
	case "up":
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(out, "applied %s (%s)\n", r.Source.Path, r.Duration.Round(time.Millisecond))
		}
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		if len(res) == 0 {
			fmt.Fprintln(out, "no migrations to apply; schema is current")
		}
	case "down":
		r, err := p.Down(ctx)
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		if r != nil {
			fmt.Fprintf(out, "rolled back %s\n", r.Source.Path)
		}
	case "reset":
		if _, err := p.DownTo(ctx, 0); err != nil {
			return fmt.Errorf("migrate reset: %w", err)
		}
		fmt.Fprintln(out, "rolled back every migration")
	case "status":
		st, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		for _, s := range st {
			applied := "pending"
			if s.State == goose.StateApplied {
				applied = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(out, "%-40s %s\n", s.Source.Path, applied)
		}
	default:
		return fmt.Errorf("unknown migrate command %q: use up, down, status or reset", command)
	}
	return nil
}

// OpenRedis parses a redis:// URL into a client.
func OpenRedis(url string) (*redis.Client, *redis.Options, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, nil, fmt.Errorf("parse redis url: %w", err)
	}
	opt.DialTimeout = 2 * time.Second
	return redis.NewClient(opt), opt, nil
}
