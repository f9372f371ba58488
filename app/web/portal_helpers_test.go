package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/tasks"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// portalNow is the fake time every portal test starts at (a Monday, 10:00 in Chicago).
var portalNow = time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)

// portalEnv is a portal over an isolated, migrated database.
type portalEnv struct {
	t     *testing.T
	app   *fiber.App
	db    *store.DB
	clock *clock.Fake
	ps    *web.PortalServices
	deps  web.Deps
}

// newPortal builds the portal with every service wired; edit lets a test
// change the dependencies (drop a service, add providers) before the app
// is built.
func newPortal(t *testing.T, edit ...func(*web.Deps)) *portalEnv {
	t.Helper()
	db, _ := storetest.NewDB(t)
	clk := clock.NewFake(portalNow)
	d := portalDeps(t, db, clk)
	for _, e := range edit {
		e(&d)
	}
	return &portalEnv{t: t, app: web.New(d), db: db, clock: clk, ps: d.Services.Portal, deps: d}
}

// portalDeps wires the portal and the services it shares with the API over
// db, in the firm's zone America/Chicago.
func portalDeps(t testing.TB, db *store.DB, clk *clock.Fake) web.Deps {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	loc, _ := time.LoadLocation("America/Chicago")
	engine := render.New(render.Options{Now: clk.Now, FirmLocation: loc})
	ps := &web.PortalServices{
		Users:     auth.NewUsers(db, clk),
		Sessions:  auth.NewSessions("", 12*time.Hour, false, clk),
		DevLogin:  true,
		Read:      portal.New(db, clk, loc),
		Firm:      portal.FirmVars{Name: "Test Law", Phone: "+1 312 555 0100", PortalURL: "http://herald.test"},
		Templates: content.New(db, engine, clk, "en"),
		Preview:   engine,
		Statuses:  statuses.New(db, clk),
		Tasks:     tasks.New(db, clk),
	}
	led := ledger.New(db, clk)
	return web.Deps{
		Config:  cfg,
		DB:      db,
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Metrics: telemetry.NewMetrics(),
		Clock:   clk,
		Services: web.Services{
			Portal:            ps,
			Pauses:            pause.New(db, clk),
			Timeline:          led,
			DeadLetters:       led,
			DeadLetterRetrier: led,
		},
	}
}

// exec runs fixture SQL.
func (e *portalEnv) exec(sql string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), sql, args...); err != nil {
		e.t.Fatalf("fixture %q: %v", sql, err)
	}
}

// scalar reads one value.
func (e *portalEnv) scalar(sql string, args ...any) any {
	e.t.Helper()
	var v any
	if err := e.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		e.t.Fatalf("query %q: %v", sql, err)
	}
	return v
}

func strp(s string) *string { return &s }

// addCase stores a client and a case with a real canonical snapshot and
// returns the case and client ids.
func (e *portalEnv) addCase(ext, number, first, last, status string) (int64, int64) {
	e.t.Helper()
	ctx := context.Background()
	e.exec(`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook') ON CONFLICT DO NOTHING`)
	if _, err := statuses.Seed(ctx, e.db); err != nil {
		e.t.Fatal(err)
	}
	snap := normalize.Case{CaseID: ext, CaseNumber: strp(number), ClientID: strp("cl-" + ext), Status: strp(status),
		StatusRaw: strp(status), AttorneyID: strp("att-1"),
		Client: normalize.Client{FirstName: strp(first), LastName: strp(last), Email: strp(strings.ToLower(first) + "@example.com"),
			MobilePhone: strp("+13125550111"), PreferredLanguage: strp("en"), Timezone: strp("America/Chicago")}}
	b, _ := json.Marshal(snap)
	var clientID, caseID int64
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO clients (source, external_id, first_name, last_name, email, mobile_phone)
		VALUES ('generic', $1, $2, $3, $4, '+13125550111') RETURNING id`, "cl-"+ext, first, last, *snap.Client.Email).Scan(&clientID); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO cases (source, external_id, client_id, case_number, status, status_raw, attorney_id, snapshot, updated_at)
		VALUES ('generic', $1, $2, $3, $4, $4, 'att-1', $5, $6) RETURNING id`, ext, clientID, number, status, b, e.clock.Now()).Scan(&caseID); err != nil {
		e.t.Fatal(err)
	}
	e.exec(`INSERT INTO case_versions (case_id, version, snapshot, diff) VALUES ($1, 1, $2, '{}')`, caseID, b)
	return caseID, clientID
}

// browser is a cookie-keeping client of the portal.
type browser struct {
	e       *portalEnv
	cookies map[string]string
	csrf    string
}

func (e *portalEnv) browser() *browser { return &browser{e: e, cookies: map[string]string{}} }

// do sends a request and keeps the cookies the response sets.
func (b *browser) do(req *http.Request) *http.Response {
	b.e.t.Helper()
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	req.Header.Set("Accept", "text/html")
	resp, err := b.e.app.Test(req, 10000)
	if err != nil {
		b.e.t.Fatal(err)
	}
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp
}

// get fetches path and parses the HTML, remembering the page's CSRF token.
func (b *browser) get(path string) (*http.Response, *goquery.Document) {
	b.e.t.Helper()
	resp := b.do(httptest.NewRequest("GET", path, nil))
	return resp, b.parse(resp)
}

func (b *browser) parse(resp *http.Response) *goquery.Document {
	b.e.t.Helper()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if tok, ok := doc.Find(`meta[name="csrf-token"]`).Attr("content"); ok && tok != "" {
		b.csrf = tok
	}
	return doc
}

// post submits a form with the current CSRF token (unless form sets _csrf).
func (b *browser) post(path string, form url.Values) (*http.Response, *goquery.Document) {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, set := form["_csrf"]; !set {
		form.Set("_csrf", b.csrf)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := b.do(req)
	return resp, b.parse(resp)
}

// signIn uses the dev sign-in as name with role.
func (b *browser) signIn(name, role string) {
	b.e.t.Helper()
	b.get("/login")
	resp, _ := b.post("/auth/dev", url.Values{"name": {name}, "role": {role}})
	if resp.StatusCode != http.StatusSeeOther {
		b.e.t.Fatalf("dev sign-in as %s/%s: status %d, want 303", name, role, resp.StatusCode)
	}
	b.get("/") // pick up the new session's CSRF token
}

func text(doc *goquery.Document, sel string) string {
	return strings.Join(strings.Fields(doc.Find(sel).Text()), " ")
}

func authIdentity(email string) auth.Identity {
	return auth.Identity{Provider: auth.ProviderOIDC, Email: email, Name: "New Person"}
}

// sealSession makes a session cookie value for user id, as sign-in would.
func sealSession(t *testing.T, e *portalEnv, id int64) string {
	t.Helper()
	v, err := e.ps.Sessions.Encode(auth.SessionCookie, e.ps.Sessions.New(id))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func idURL(format string, id int64) string { return fmt.Sprintf(format, id) }

// seedTemplates loads the default templates and returns the id of the
// English SMS variant of the first family that has one.
func seedTemplates(t *testing.T, e *portalEnv) int64 {
	t.Helper()
	if _, err := content.Seed(context.Background(), e.db); err != nil {
		t.Fatal(err)
	}
	id, ok := e.scalar(`SELECT id FROM message_templates WHERE channel = 'sms' AND language = 'en' ORDER BY key LIMIT 1`).(int64)
	if !ok {
		t.Fatal("no English SMS template after content.Seed")
	}
	return id
}

// addMessage stores a message for the case in status, with an error code
// and reason for dead letters.
func (e *portalEnv) addMessage(caseID int64, status, channel, code, reason string) int64 {
	e.t.Helper()
	var id int64
	err := e.db.Pool.QueryRow(context.Background(), `INSERT INTO messages (idempotency_key, case_id, client_id, channel, recipient,
			subject, body_text, status, attempts, last_error_code, dead_reason, suggested_fix, created_at, updated_at)
		SELECT 'k-' || gen_random_uuid(), c.id, c.client_id, $2, '+13125550111', 'Update', 'Your case moved forward.', $3, 1, $4, $5,
			CASE WHEN $4 <> '' THEN 'fix the number in the CMS' ELSE '' END, $6, $6
		FROM cases c WHERE c.id = $1 RETURNING id`, caseID, channel, status, code, reason, e.clock.Now()).Scan(&id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

type goqueryDoc = goquery.Document

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
