package portaltest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

// benchLock is the advisory lock that serialises building the template.
const benchLock = 727276

// BenchDB returns a clone of the seeded database, dropped when the
// benchmark ends, and what was seeded. The first call for a schema (a fresh
// storetest database's tables and indexes) and seedVersion seeds and keeps
// the template, which takes about a minute; later calls clone it in seconds.
func BenchDB(tb testing.TB) (*store.DB, Fixture) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	fresh, freshURL := storetest.NewDB(tb)
	var fp string
	if err := fresh.Pool.QueryRow(ctx, `SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
			SELECT table_name || '.' || column_name || ':' || data_type AS x FROM information_schema.columns WHERE table_schema = 'public'
			UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public') s`).Scan(&fp); err != nil {
		tb.Fatalf("fingerprint schema: %v", err)
	}
	tmpl := "herald_portalbench_" + seedVersion + "_" + fp[:12]
	admin := conn(ctx, tb, storetest.AdminURL())
	defer admin.Close(context.Background())
	if _, err := admin.Exec(ctx, `SELECT pg_advisory_lock($1)`, benchLock); err != nil {
		tb.Fatal(err)
	}
	var exists bool
	err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tmpl).Scan(&exists)
	if err == nil && !exists {
		err = build(ctx, tb, admin, fresh, freshURL, tmpl)
	}
	_, _ = admin.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, benchLock)
	if err != nil {
		tb.Fatalf("build the portal benchmark database: %v", err)
	}
	fresh.Close()

	name := fmt.Sprintf("herald_pb_%d_%d", time.Now().UnixNano()%1e9, rand.IntN(1e6))
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY`, name, tmpl)); err != nil {
		tb.Fatalf("clone %s: %v", tmpl, err)
	}
	db, err := store.Open(ctx, dbURL(freshURL, name))
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	tb.Cleanup(func() {
		db.Close()
		c := conn(context.Background(), tb, storetest.AdminURL())
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	f, err := fixture(ctx, db)
	if err != nil {
		tb.Fatal(err)
	}
	return db, f
}

// build seeds fresh and keeps it as template tmpl, dropping the templates
// of older schemas or seeds.
func build(ctx context.Context, tb testing.TB, admin *pgx.Conn, fresh *store.DB, freshURL, tmpl string) error {
	tb.Logf("seeding %d cases and a %d-message timeline into %s (once per schema)", Cases, TimelineMessages, tmpl)
	start := time.Now()
	if err := seed(ctx, fresh); err != nil {
		return err
	}
	fresh.Close()
	u, err := url.Parse(freshURL)
	if err != nil {
		return err
	}
	rows, err := admin.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'herald\_portalbench\_%'`)
	if err != nil {
		return err
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, o := range old {
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+o+" WITH (FORCE)"); err != nil {
			return err
		}
	}
	building := tmpl + "_b"
	if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY`, building, u.Path[1:])); err != nil {
		return err
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, tmpl)); err != nil {
		return err
	}
	tb.Logf("seeded %s in %s", tmpl, time.Since(start).Round(time.Second))
	return nil
}

// dbURL is base with its database name replaced by name.
func dbURL(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}
