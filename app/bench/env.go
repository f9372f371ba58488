package bench

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/store"
)

const howToStart = "start the services with `make services` (PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379) or point HERALD_DATABASE_URL / HERALD_REDIS_URL at them"

// env is a scenario's own database and Redis db.
type env struct {
	dbName   string
	dsn      string
	db       *store.DB
	redisURL string
	rdb      *redis.Client
	ropt     *redis.Options
}

// newEnv creates, migrates and seeds herald_bench_<scenario>_<pid> on the
// configured PostgreSQL and reserves a Redis db; both are released when the
// scenario ends.
func (r *runner) newEnv(ctx context.Context) (*env, error) {
	e := &env{dbName: fmt.Sprintf("herald_bench_%s_%d", strings.ReplaceAll(r.scenario, "-", "_"), os.Getpid())}
	admin, err := pgx.Connect(ctx, withDB(r.o.DatabaseURL, "postgres"))
	if err != nil {
		return nil, fmt.Errorf("PostgreSQL is not reachable: %w\n%s", err, howToStart)
	}
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+e.dbName+" WITH (FORCE)"); err != nil {
		return nil, fmt.Errorf("drop stale bench database: %w", err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+e.dbName); err != nil {
		return nil, fmt.Errorf("create bench database: %w", err)
	}
	if !r.o.Keep {
		r.onCleanup(func() {
			c, err := pgx.Connect(context.Background(), withDB(r.o.DatabaseURL, "postgres"))
			if err != nil {
				return
			}
			defer c.Close(context.Background())
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+e.dbName+" WITH (FORCE)")
		})
	} else {
		r.logf("%s: keeping database %s", r.scenario, e.dbName)
	}
	e.dsn = withDB(r.o.DatabaseURL, e.dbName)
	if e.db, err = store.Open(ctx, e.dsn); err != nil {
		return nil, err
	}
	r.onCleanup(e.db.Close)
	if err := store.Migrate(ctx, e.db.SQL, "up", io.Discard); err != nil {
		return nil, err
	}
	if err := r.w.Seed(ctx, e.db); err != nil {
		return nil, fmt.Errorf("seed bench database: %w", err)
	}
	if err := r.reserveRedis(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// reserveRedis takes one of Redis's numbered databases 1–15 the way the
// tests do (storetest.Redis): a key herald:test:db:N in db 0, set only if
// absent, with a TTL this run keeps refreshing. So a bench and `make test`
// running at once never share a db, and a crashed bench frees its db.
func (r *runner) reserveRedis(ctx context.Context, e *env) error {
	base, err := redis.ParseURL(r.o.RedisURL)
	if err != nil {
		return fmt.Errorf("parse HERALD_REDIS_URL: %w", err)
	}
	ctl := redis.NewClient(&redis.Options{Addr: base.Addr, Username: base.Username, Password: base.Password,
		TLSConfig: base.TLSConfig, DB: 0, DialTimeout: 2 * time.Second})
	if err := ctl.Ping(ctx).Err(); err != nil {
		ctl.Close()
		return fmt.Errorf("Redis is not reachable at %s: %w\n%s", base.Addr, err, howToStart)
	}
	const ttl = 10 * time.Minute
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := fmt.Sprintf("herald:test:db:%d", n)
			ok, err := ctl.SetNX(ctx, key, "herald bench "+r.scenario, ttl).Result()
			if err != nil {
				ctl.Close()
				return fmt.Errorf("reserve a Redis db: %w", err)
			}
			if !ok {
				continue
			}
			opt := *base
			opt.DB = n
			e.ropt = &opt
			e.rdb = redis.NewClient(&opt)
			if err := e.rdb.FlushDB(ctx).Err(); err != nil {
				return fmt.Errorf("flush Redis db %d: %w", n, err)
			}
			refresh, stop := context.WithCancel(context.Background())
			go func() {
				t := time.NewTicker(ttl / 4)
				defer t.Stop()
				for {
					select {
					case <-refresh.Done():
						return
					case <-t.C:
						ctl.Expire(refresh, key, ttl)
					}
				}
			}()
			r.onCleanup(func() {
				stop()
				e.rdb.FlushDB(context.Background())
				e.rdb.Close()
				ctl.Del(context.Background(), key)
				ctl.Close()
			})
			u, _ := url.Parse(r.o.RedisURL)
			u.Path = fmt.Sprintf("/%d", n)
			e.redisURL = u.String()
			return nil
		}
		if time.Now().After(deadline) {
			ctl.Close()
			return fmt.Errorf("no free Redis db (1–15) after 2 minutes: tests or other benches hold them all")
		}
		select {
		case <-ctx.Done():
			ctl.Close()
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func withDB(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}
