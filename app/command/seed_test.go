package command_test

import (
	"context"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

// snapshot counts rows and hashes the primary keys of every table, so a
// second seed that changes anything is caught.
func snapshot(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_name <> 'goose_db_version' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	out := map[string]string{}
	for _, tbl := range tables {
		var sum string
		q := `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM ` + tbl + ` t`
		if tbl == "audit_log" || tbl == "settings" {
			q = `SELECT count(*)::text FROM ` + tbl
		}
		if err := db.Pool.QueryRow(ctx, q).Scan(&sum); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		out[tbl] = sum
	}
	return out
}

func TestSeedIsIdempotent(t *testing.T) {
	for _, args := range [][]string{{"seed"}, {"seed", "--demo"}} {
		t.Run(args[len(args)-1], func(t *testing.T) {
			db, dsn := storetest.NewDB(t)
			redisURL, _ := storetest.Redis(t)
			env := map[string]string{"HERALD_DATABASE_URL": dsn, "HERALD_REDIS_URL": redisURL}
			if r := run(context.Background(), env, args...); r.code != 0 {
				t.Fatalf("first %v = %d: %s", args, r.code, r.stderr)
			}
			first := snapshot(t, db)
			for _, tbl := range []string{"sources", "canonical_statuses", "message_templates", "template_versions", "rules"} {
				if strings.HasPrefix(first[tbl], "0:") {
					t.Errorf("seed created no %s", tbl)
				}
			}
			if args[len(args)-1] == "--demo" {
				var cases, staff, delivered, dead, findings int
				err := db.Pool.QueryRow(context.Background(), `SELECT
					(SELECT count(*) FROM cases), (SELECT count(*) FROM staff_users),
					(SELECT count(*) FROM messages WHERE status = 'delivered'),
					(SELECT count(*) FROM messages WHERE status = 'dead'),
					(SELECT count(*) FROM data_findings WHERE resolved_at IS NULL)`).Scan(&cases, &staff, &delivered, &dead, &findings)
				if err != nil {
					t.Fatal(err)
				}
				if cases < 45 || staff < 5 || delivered == 0 || dead == 0 || findings < 10 {
					t.Errorf("demo firm: %d cases, %d staff, %d delivered, %d dead, %d open findings; want ~50 cases, staff, delivered and dead messages, findings",
						cases, staff, delivered, dead, findings)
				}
			}
			if r := run(context.Background(), env, args...); r.code != 0 {
				t.Fatalf("second %v = %d: %s", args, r.code, r.stderr)
			}
			second := snapshot(t, db)
			for tbl, v := range first {
				if second[tbl] != v {
					t.Errorf("table %s changed on the second seed: %s → %s", tbl, v, second[tbl])
				}
			}
		})
	}
}
