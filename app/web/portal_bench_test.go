package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/portal/portaltest"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/web"
)

// benchPortal is the whole portal over the seeded 100,000-case database,
// with a signed-in paralegal's session cookie.
type benchPortal struct {
	app    *fiber.App
	db     *store.DB
	fx     portaltest.Fixture
	cookie *http.Cookie
}

func newBenchPortal(b *testing.B) *benchPortal {
	b.Helper()
	db, fx := portaltest.BenchDB(b)
	d := portalDeps(b, db, clock.NewFake(portaltest.Now))
	var id int64
	if err := db.Pool.QueryRow(context.Background(), `INSERT INTO staff_users (email, name, role) VALUES ('pat@firm.test', 'Pat', 'paralegal')
		ON CONFLICT (email) DO UPDATE SET role = 'paralegal' RETURNING id`).Scan(&id); err != nil {
		b.Fatal(err)
	}
	ps := d.Services.Portal
	v, err := ps.Sessions.Encode(auth.SessionCookie, ps.Sessions.New(id))
	if err != nil {
		b.Fatal(err)
	}
	return &benchPortal{app: web.New(d), db: db, fx: fx, cookie: &http.Cookie{Name: auth.SessionCookie, Value: v}}
}

// get serves path through the whole app (routing, session, role check,
// read model, templ page) and checks the page shows want elements marked
// testid; htmx asks as htmx does, for a partial without the layout.
func (p *benchPortal) get(b *testing.B, path string, htmx bool, testid string, want int) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept", "text/html")
	if htmx {
		req.Header.Set("HX-Request", "true")
	}
	req.AddCookie(p.cookie)
	resp, err := p.app.Test(req, -1)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	got := strings.Count(string(body), `data-testid="`+testid+`"`)
	if resp.StatusCode != 200 || got != want || htmx == strings.Contains(string(body), "<html") {
		b.Fatalf("GET %s (htmx %v) = %d with %d %s, want 200 with %d", path, htmx, resp.StatusCode, got, testid, want)
	}
}

// ref runs the bare SQL of the same page through pgx and reads its rows:
// the reference each page's p95 is compared with (x-ref).
func (p *benchPortal) ref(b *testing.B, sql string, args ...any) {
	rows, err := p.db.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Close(); rows.Err() != nil || n == 0 {
		b.Fatalf("reference %q: %d rows, %v", sql, n, rows.Err())
	}
}

// run times the page and its reference alternately, one of each per
// iteration, so both see the same machine; only the page counts toward
// ns/op.
func (p *benchPortal) run(b *testing.B, page, ref func()) {
	var lat, refLat portaltest.Latencies
	for b.Loop() {
		lat.Time(page)
		b.StopTimer()
		refLat.Time(ref)
		b.StartTimer()
	}
	portaltest.Report(b, lat, refLat)
}

// caseRef is the bare case list query: a page of cases with their clients.
const caseRef = `SELECT c.id, c.case_number, c.status, c.attorney_id, c.updated_at, cl.first_name, cl.last_name
	FROM cases c JOIN clients cl ON cl.id = c.client_id WHERE %s ORDER BY c.updated_at DESC, c.id DESC LIMIT 51`

// BenchmarkPortalCases serves GET /cases over 100,000 cases: the first
// page, a search by name, a status filter and a page 90,000 cases deep.
func BenchmarkPortalCases(b *testing.B) {
	p := newBenchPortal(b)
	var deep portal.CaseRow
	if err := p.db.Pool.QueryRow(context.Background(), `SELECT id, updated_at FROM cases ORDER BY updated_at DESC, id DESC
		OFFSET 90000 LIMIT 1`).Scan(&deep.ID, &deep.UpdatedAt); err != nil {
		b.Fatal(err)
	}
	name := `(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) ILIKE $1`
	for _, bc := range []struct {
		name, query string
		rows        int
		where       string
		args        []any
	}{
		{"first-page", "", 50, "true", nil},
		{"search-name", "q=" + p.fx.CommonName, 50, name, []any{"%" + p.fx.CommonName + "%"}},
		{"search-rare-name", "q=" + p.fx.RareName, p.fx.RareNameCases, name, []any{"%" + p.fx.RareName + "%"}},
		{"filter-status", "status=" + p.fx.Status, 50, "c.status = $1", []any{p.fx.Status}},
		{"filter-findings", "findings=1", 50,
			"c.id IN (SELECT case_id FROM data_findings WHERE resolved_at IS NULL)", nil},
		{"deep-page", "after=" + url.QueryEscape(deep.Cursor()), 50, "(c.updated_at, c.id) < ($1, $2)", []any{deep.UpdatedAt, deep.ID}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sql := fmt.Sprintf(caseRef, bc.where)
			p.run(b, func() { p.get(b, "/cases?"+bc.query, false, "case-row", bc.rows) },
				func() { p.ref(b, sql, bc.args...) })
		})
	}
}

// BenchmarkPortalTimeline serves GET /clients/:id/timeline for the client
// with 10,000 messages (with attempts and provider statuses), 10,000
// decisions and 5,000 events: the newest page, an older page as htmx loads
// it, and the SMS messages only.
func BenchmarkPortalTimeline(b *testing.B) {
	p := newBenchPortal(b)
	path := fmt.Sprintf("/clients/%d/timeline", p.fx.BusyClientID)
	first, err := portal.New(p.db, clock.NewFake(portaltest.Now), nil).Timeline(context.Background(), p.fx.BusyClientID, portal.TimelineFilter{})
	if err != nil {
		b.Fatal(err)
	}
	const msgRef = `SELECT m.id, m.channel, m.recipient, m.subject, m.body_text, m.status, m.created_at, a.attempt, a.outcome
		FROM (SELECT * FROM messages WHERE client_id = $1 AND ($2 = '' OR channel = $2) ORDER BY created_at DESC, id DESC LIMIT 51) m
		LEFT JOIN delivery_attempts a ON a.message_id = m.id`
	for _, bc := range []struct {
		name, query, channel string
		htmx                 bool
	}{
		{"newest", "", "", false},
		{"older-htmx", "after=" + url.QueryEscape(first.Next), "", true},
		{"sms", "channel=sms", "sms", false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			p.run(b, func() { p.get(b, path+"?"+bc.query, bc.htmx, "entry-status", portal.TimelinePageSize) },
				func() { p.ref(b, msgRef, p.fx.BusyClientID, bc.channel) })
		})
	}
}
