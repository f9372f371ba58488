package poll_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/poll"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

const tokenEnv = "HERALD_POLL_TOKEN_TESTCMS"

// fakeCMS answers GET /cases?modified_since=C&page=N from a script keyed by
// cursor, each page a list of records plus a relative next link. A page
// scripted as nil answers 500.
type fakeCMS struct {
	*httptest.Server
	mu     sync.Mutex
	script map[string][][]map[string]any
	seen   []string // "cursor/page" per request
}

func newCMS(t *testing.T) *fakeCMS {
	f := &fakeCMS{script: map[string][][]map[string]any{}}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		cursor, page := r.URL.Query().Get("modified_since"), r.URL.Query().Get("page")
		if page == "" {
			page = "0"
		}
		f.seen = append(f.seen, cursor+"/"+page)
		pages := f.script[cursor]
		var n int
		fmt.Sscan(page, &n)
		if n >= len(pages) || pages[n] == nil {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		body := map[string]any{"results": pages[n], "next": nil}
		if n+1 < len(pages) {
			body["next"] = fmt.Sprintf("/cases?modified_since=%s&page=%d", cursor, n+1)
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeCMS) set(cursor string, pages ...[]map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[cursor] = pages
}

func (f *fakeCMS) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.seen...)
}

func rec(id, modified, stage string) map[string]any {
	return map[string]any{"case_ref": id, "modified": modified, "stage": stage,
		"client": map[string]any{"ref": "CL-" + id, "given_name": "Jane"}}
}

type env struct {
	db   *store.DB
	clk  *clock.Fake
	cms  *fakeCMS
	p    *poll.Poller
	name string
}

func newEnv(t *testing.T, tokenSet bool) env {
	t.Helper()
	db, _ := storetest.NewDB(t)
	cms := newCMS(t)
	src := normalize.Source{Name: "testcms", Kind: normalize.KindPoll, SecretEnv: tokenEnv, UpdatedAt: "modified",
		Fields: map[string]string{"case_id": "case_ref", "status": "stage", "client_id": "client.ref"},
		Poll: &normalize.Poll{URL: cms.URL + "/cases", CursorParam: "modified_since", RecordsPath: "results",
			RecordIDPath: "case_ref", UpdatedAtPath: "modified", NextPagePath: "next", Interval: 5 * time.Minute}}
	if err := src.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO sources (name, kind) VALUES ('testcms', 'poll')`); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	ing, err := ingest.New(db, cfg, clk, statuses.New(db, clk), cases.New(db, clk, time.UTC),
		ingest.Options{Sources: []normalize.Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == tokenEnv && tokenSet {
			return "s3cret"
		}
		return ""
	}
	return env{db: db, clk: clk, cms: cms, p: poll.New(db, ing, clk, getenv, []normalize.Source{src}, nil), name: src.Name}
}

func (e env) state(t *testing.T) (cursor string, eventIDs map[string]int) {
	t.Helper()
	ctx := context.Background()
	var c *string
	if err := e.db.Pool.QueryRow(ctx, `SELECT poll_cursor FROM sources WHERE name = 'testcms'`).Scan(&c); err != nil {
		t.Fatal(err)
	}
	if c != nil {
		cursor = *c
	}
	rows, err := e.db.Pool.Query(ctx, `SELECT event_id FROM inbound_events WHERE source = 'testcms'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	eventIDs = map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		eventIDs[id]++
	}
	return cursor, eventIDs
}

func TestPollPagesRepollAndFailure(t *testing.T) {
	e := newEnv(t, true)
	ctx := context.Background()
	const t1, t2, t3, t4, t5, t6 = "2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z", "2026-03-01T12:00:00Z",
		"2026-03-01T13:00:00Z", "2026-03-01T14:00:00Z", "2026-03-01T15:00:00Z"
	steps := []struct {
		name       string
		script     [][]map[string]any
		from       string // cursor the CMS must be asked with
		wantErr    bool
		wantNew    int
		wantDup    int
		wantCursor string
		wantEvents int
	}{
		{name: "first poll follows two pages", from: "",
			script:  [][]map[string]any{{rec("A", t1, "Intake"), rec("B", t2, "Intake")}, {rec("C", t3, "Discovery")}},
			wantNew: 3, wantCursor: t3, wantEvents: 3},
		{name: "re-poll overlaps at the cursor without duplicates", from: t3,
			script:  [][]map[string]any{{rec("C", t3, "Discovery"), rec("D", t4, "Intake")}},
			wantNew: 1, wantDup: 1, wantCursor: t4, wantEvents: 4},
		{name: "failure on page 2 keeps the cursor", from: t4,
			script:  [][]map[string]any{{rec("E", t5, "Intake")}, nil},
			wantErr: true, wantNew: 1, wantCursor: t4, wantEvents: 5},
		{name: "retry after the failure catches up", from: t4,
			script:  [][]map[string]any{{rec("E", t5, "Intake")}, {rec("F", t6, "Intake"), rec("B", t6, "Settled")}},
			wantNew: 2, wantDup: 1, wantCursor: t6, wantEvents: 7},
	}
	for _, s := range steps {
		e.cms.set(s.from, s.script...)
		before := len(e.cms.requests())
		st, err := e.p.Poll(ctx, e.name)
		if (err != nil) != s.wantErr {
			t.Fatalf("%s: err = %v, want error %v", s.name, err, s.wantErr)
		}
		if st.New != s.wantNew || st.Duplicates != s.wantDup {
			t.Errorf("%s: new %d dup %d, want %d %d", s.name, st.New, st.Duplicates, s.wantNew, s.wantDup)
		}
		cursor, ids := e.state(t)
		if cursor != s.wantCursor {
			t.Errorf("%s: cursor %q, want %q", s.name, cursor, s.wantCursor)
		}
		if len(ids) != s.wantEvents {
			t.Errorf("%s: %d distinct events stored, want %d: %v", s.name, len(ids), s.wantEvents, ids)
		}
		for _, r := range e.cms.requests()[before:] {
			if got := r[:len(r)-2]; got != s.from {
				t.Errorf("%s: CMS asked with cursor %q, want %q", s.name, got, s.from)
			}
		}
	}
	if _, ids := e.state(t); ids["B@"+t6] != 1 || ids["B@"+t2] != 1 || ids["C@"+t3] != 1 {
		t.Errorf("event ids are not <record id>@<updated_at>: %v", ids)
	}
}

func TestDueHonoursIntervalAndToken(t *testing.T) {
	ctx := context.Background()
	off := newEnv(t, false)
	off.cms.set("", []map[string]any{rec("A", "2026-03-01T10:00:00Z", "Intake")})
	if n, err := off.p.Due(ctx); err != nil || n != 0 || len(off.cms.requests()) != 0 {
		t.Fatalf("token unset: Due = %d, %v with %d requests; want the source skipped", n, err, len(off.cms.requests()))
	}

	e := newEnv(t, true)
	e.cms.set("", []map[string]any{rec("A", "2026-03-01T10:00:00Z", "Intake")})
	e.cms.set("2026-03-01T10:00:00Z", []map[string]any{rec("B", "2026-03-01T11:00:00Z", "Intake")})
	steps := []struct {
		advance time.Duration
		wantNew int
		wantReq int
	}{
		{0, 1, 1},               // never polled: due
		{4 * time.Minute, 0, 1}, // inside the 5m interval
		{time.Minute, 1, 2},     // interval passed
	}
	for i, s := range steps {
		e.clk.Advance(s.advance)
		n, err := e.p.Due(ctx)
		if err != nil || n != s.wantNew || len(e.cms.requests()) != s.wantReq {
			t.Errorf("step %d: Due = %d, %v with %d requests; want %d new, %d requests", i, n, err, len(e.cms.requests()), s.wantNew, s.wantReq)
		}
	}
}
