// Package storetest gives each test an isolated PostgreSQL database migrated
// from migrations/ and an isolated Redis database. A missing service fails
// the test with instructions; it never skips.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/migrations"
)

const howToStart = "start the services with `make services` (PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379), or set HERALD_TEST_DATABASE_URL / HERALD_TEST_REDIS_URL"

// AdminURL is the maintenance database URL tests create databases through.
func AdminURL() string {
	if u := os.Getenv("HERALD_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server tests use; the db number is chosen per test.
func RedisURL() string {
	if u := os.Getenv("HERALD_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// NewDB creates a fresh database cloned from a migrated template and drops
// it when the test ends. It returns the open handle and its URL.
func NewDB(t testing.TB) (*store.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s: %v\n%s", AdminURL(), err, howToStart)
	}
	defer admin.Close(context.Background())
	tmpl, err := ensureTemplate(ctx, admin)
	if err != nil {
		t.Fatalf("prepare template database: %v", err)
	}
	name := fmt.Sprintf("herald_t_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6))
	// CREATE DATABASE ... TEMPLATE fails if another session is connected to
	// the template; retry briefly.
	for i := 0; ; i++ {
		_, err = admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
		if err == nil || i > 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("create test database: %v", err)
	}
	dsn := withDB(AdminURL(), name)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return db, dsn
}

// EmptyDB creates an unmigrated database, for migration tests.
func EmptyDB(t testing.TB) (*store.DB, string) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s: %v\n%s", AdminURL(), err, howToStart)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("herald_e_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	dsn := withDB(AdminURL(), name)
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		db.Close()
		c, err := pgx.Connect(context.Background(), AdminURL())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	})
	return db, dsn
}

// ensureTemplate migrates a template database named after a hash of the
// migrations, so a schema change gets a new template automatically.
func ensureTemplate(ctx context.Context, admin *pgx.Conn) (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, p)
		h.Write([]byte(p))
		h.Write(b)
		return err
	})
	if err != nil {
		return "", err
	}
	name := "herald_tmpl_" + hex.EncodeToString(h.Sum(nil))[:12]
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(727274)"); err != nil {
		return "", err
	}
	defer admin.Exec(context.Background(), "SELECT pg_advisory_unlock(727274)")
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	building := name + "_b"
	_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+building+" WITH (FORCE)")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+building); err != nil {
		return "", err
	}
	db, err := store.Open(ctx, withDB(AdminURL(), building))
	if err != nil {
		return "", err
	}
	err = store.Migrate(ctx, db.SQL, "up", io.Discard)
	db.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s", building, name)); err != nil {
		return "", err
	}
	return name, nil
}

func withDB(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	u.Path = "/" + name
	return u.String()
}

// Redis reserves one of Redis's numbered databases (1–15) for the test,
// flushes it, and returns its URL and a client. Reservations are keys in
// db 0 with a TTL, so a crashed test frees its db after ten minutes.
func Redis(t testing.TB) (string, *redis.Client) {
	t.Helper()
	ctx := context.Background()
	base, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("parse HERALD_TEST_REDIS_URL: %v", err)
	}
	ctl := redis.NewClient(&redis.Options{Addr: base.Addr, DB: 0, DialTimeout: 2 * time.Second})
	defer ctl.Close()
	if err := ctl.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis is not reachable at %s: %v\n%s", base.Addr, err, howToStart)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for n := 1; n <= 15; n++ {
			key := fmt.Sprintf("herald:test:db:%d", n)
			ok, err := ctl.SetNX(ctx, key, t.Name(), 10*time.Minute).Result()
			if err != nil {
				t.Fatalf("reserve redis db: %v", err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: base.Addr, DB: n})
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatalf("flush redis db %d: %v", n, err)
			}
			t.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				r := redis.NewClient(&redis.Options{Addr: base.Addr})
				r.Del(context.Background(), key)
				r.Close()
			})
			u := fmt.Sprintf("redis://%s/%d", base.Addr, n)
			if strings.HasPrefix(RedisURL(), "rediss://") {
				u = "rediss" + strings.TrimPrefix(u, "redis")
			}
			return u, c
		}
		if time.Now().After(deadline) {
			t.Fatalf("no free Redis test database (1-15) after 2 minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
