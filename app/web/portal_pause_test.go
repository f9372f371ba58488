package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/config"
)

// TestFirmPauseFromThePortal presses the firm-wide button from the
// dashboard (reason, confirmation), checks the red banner on every page,
// that the planner then skips with skipped: paused, and resumes.
func TestFirmPauseFromThePortal(t *testing.T) {
	e := newPortal(t)
	attorney := e.browser()
	attorney.signIn("Ann Attorney", "attorney")

	_, doc := attorney.get("/")
	if doc.Find(`[data-testid="firm-pause-card"] [data-testid="firm-pause"]`).Length() != 1 {
		t.Fatal("the dashboard has no firm-wide pause button for an attorney")
	}
	if resp, doc := attorney.post("/pauses/firm", url.Values{"reason": {""}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(text(doc, `[data-testid="flash-error"]`), "A reason is required") {
		t.Errorf("pause without a reason = %d %q, want 400 asking for one", resp.StatusCode, text(doc, `[data-testid="flash-error"]`))
	}
	if resp, doc := attorney.post("/pauses/firm", url.Values{"reason": {"x"}, "expires": {"2020-01-01T10:00"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(text(doc, `[data-testid="flash-error"]`), "must end in the future") {
		t.Errorf("pause ending in the past = %d, want 400", resp.StatusCode)
	}
	resp, doc := attorney.post("/pauses/firm", url.Values{"reason": {"template bug in the welcome"}, "expires": {"2026-03-03T09:00"}})
	if resp.StatusCode != 200 || doc.Find(`[data-testid="pause-confirm"]`).Length() != 1 {
		t.Fatalf("first press = %d, want the confirmation step", resp.StatusCode)
	}
	if n := e.scalar(`SELECT count(*) FROM pauses`); n != int64(0) {
		t.Fatal("the first press paused without confirmation")
	}
	confirm := url.Values{}
	doc.Find(`[data-testid="pause-confirm"] input`).Each(func(_ int, s *goquery.Selection) {
		if n := s.AttrOr("name", ""); n != "_csrf" {
			confirm.Set(n, s.AttrOr("value", ""))
		}
	})
	if resp, _ := attorney.post("/pauses/firm", confirm); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT scope || '|' || reason || '|' || (expires_at AT TIME ZONE 'America/Chicago')::text FROM pauses WHERE lifted_at IS NULL`); got != "firm|template bug in the welcome|2026-03-03 09:00:00" {
		t.Errorf("pause row = %v", got)
	}
	if got := e.scalar(`SELECT action || '|' || reason FROM audit_log`); got != "pause.firm|template bug in the welcome" {
		t.Errorf("audit = %v", got)
	}

	// The red banner is on every page, for every role.
	ops := e.browser()
	ops.signIn("Olu Ops", "ops")
	for _, b := range []*browser{attorney, ops} {
		for _, path := range []string{"/", "/cases", "/data-health", "/tasks", "/audit"} {
			resp, doc := b.get(path)
			if resp.StatusCode != 200 {
				continue // a role that may not open the page
			}
			if got := text(doc, `[data-testid="firm-paused"]`); !strings.Contains(got, "paused firm-wide") || !strings.Contains(got, "template bug in the welcome") {
				t.Errorf("GET %s banner = %q, want the firm-wide pause with its reason", path, got)
			}
		}
	}
	if _, doc := ops.get("/"); doc.Find(`[data-testid="firm-paused-manage"], [data-testid="firm-pause-card"]`).Length() != 0 {
		t.Error("ops, who may not pause, is offered the resume link or the button")
	}

	// The planner skips a change while the firm is paused.
	if got := planStatusChange(t, e, "settlement_offer_received"); len(got) != 1 || got[0] != "skipped_paused" {
		t.Errorf("decisions while the firm is paused = %q, want exactly skipped_paused", got)
	}
	if n := e.scalar(`SELECT count(*) FROM messages`); n != int64(0) {
		t.Errorf("%v messages while paused, want none", n)
	}

	// Resume, also with a confirmation step.
	_, doc = attorney.get("/pauses")
	if !strings.Contains(text(doc, `[data-testid="firm-pause-state"]`), "template bug in the welcome") {
		t.Errorf("pauses page = %q", text(doc, `[data-testid="firm-pause-state"]`))
	}
	if resp, doc := attorney.post("/pauses/firm/resume", url.Values{"reason": {"fixed"}}); resp.StatusCode != 200 || doc.Find(`[data-testid="pause-confirm"]`).Length() != 1 {
		t.Fatalf("resume first press = %d, want the confirmation", resp.StatusCode)
	}
	if resp, _ := attorney.post("/pauses/firm/resume", url.Values{"reason": {"fixed"}, "confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume = %d", resp.StatusCode)
	}
	if _, doc := ops.get("/"); doc.Find(`[data-testid="firm-paused"]`).Length() != 0 {
		t.Error("the banner stays after the resume")
	}
	if resp, _ := attorney.post("/pauses/firm/resume", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("resuming when nothing is paused = %d, want 404", resp.StatusCode)
	}
}

// TestClientPauseFromTheTimeline pauses one client from its timeline.
func TestClientPauseFromTheTimeline(t *testing.T) {
	e := newPortal(t)
	caseID, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	_, otherClient := e.addCase("M-2", "2026-CV-0002", "Ben", "Okafor", "intake_complete")
	b := e.browser()
	b.signIn("Ann Attorney", "attorney")
	_, doc := b.get(idURL("/clients/%d/timeline", clientID))
	if doc.Find(`[data-testid="client-pause-section"] [data-testid="client-pause"]`).Length() != 1 {
		t.Fatal("the timeline has no pause button for the client")
	}
	path := idURL("/clients/%d/pause", clientID)
	resp, doc := b.post(path, url.Values{"reason": {"client asked for calls only"}})
	if resp.StatusCode != 200 || !strings.Contains(text(doc, `[data-testid="pause-confirm"]`), "every case of Ana Garcia") {
		t.Fatalf("first press = %d %q, want the confirmation naming the client", resp.StatusCode, text(doc, `[data-testid="pause-confirm"]`))
	}
	resp, _ = b.post(path, url.Values{"reason": {"client asked for calls only"}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != idURL("/clients/%d/timeline?done=client-paused", clientID) {
		t.Fatalf("confirm = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc = b.get(idURL("/clients/%d/timeline", clientID))
	if !strings.Contains(text(doc, `[data-testid="client-pause-state"]`), "client asked for calls only") {
		t.Errorf("timeline pause state = %q", text(doc, `[data-testid="client-pause-state"]`))
	}
	_, doc = b.get(idURL("/cases/%d", caseID))
	if !strings.Contains(text(doc, `[data-testid="pause-banner"]`), "client") {
		t.Errorf("the client's case does not show the client pause: %q", text(doc, `[data-testid="pause-banner"]`))
	}
	if doc.Find(`[data-testid="pause-elsewhere"] a[href="`+path+`"]`).Length() != 1 {
		t.Errorf("the case page does not link to where the client pause is lifted: %q", text(doc, `[data-testid="pause-elsewhere"]`))
	}
	st, err := pause.New(e.db, e.clock).Check(context.Background(), caseID, 0)
	if err != nil || !st.Paused || st.Scope != pause.ScopeClient {
		t.Errorf("pause.Check = %+v, %v; want paused by the client pause", st, err)
	}
	if st, _ := pause.New(e.db, e.clock).Check(context.Background(), 0, otherClient); st.Paused {
		t.Error("another client is paused too")
	}
	if got := e.scalar(`SELECT action || '|' || target_id FROM audit_log`); got != fmt.Sprintf("pause.client|%d", clientID) {
		t.Errorf("audit = %v", got)
	}
	if resp, _ := b.post(path, url.Values{"reason": {"again"}, "confirm": {"yes"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("pausing a paused client = %d, want 409", resp.StatusCode)
	}
	resp, _ = b.post(idURL("/clients/%d/unpause", clientID), url.Values{"confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("resume = %d", resp.StatusCode)
	}
	if st, _ := pause.New(e.db, e.clock).Check(context.Background(), caseID, 0); st.Paused {
		t.Error("still paused after resume")
	}
	if resp, _ := b.get("/clients/999999/pause"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("pause page of a missing client = %d, want 404", resp.StatusCode)
	}
	// Roles that may not pause see the state but no button.
	para := e.browser()
	para.signIn("Pat Paralegal", "paralegal")
	if _, doc := para.get(idURL("/clients/%d/timeline", clientID)); doc.Find(`[data-testid="client-pause-section"] form`).Length() != 0 {
		t.Error("a paralegal is offered the client pause button")
	}
}

// TestNewPortalActionsRefuseRolesAndCSRF posts every action this screen
// set adds with a role that may not (403) and, with the right role,
// without or with a forged CSRF token (403); nothing changes.
func TestNewPortalActionsRefuseRolesAndCSRF(t *testing.T) {
	e := newRulesPortal(t)
	_, clientID := e.addCase("M-9", "2026-CV-0009", "Cy", "Doe", "intake_complete")
	ruleID := e.ruleID("welcome_on_intake")
	tests := []struct {
		path              string
		form              url.Values
		wrongs            []string
		right             string
		settingsUntouched bool
	}{
		{idURL("/rules/%d", ruleID), url.Values{"name": {"x"}}, []string{"attorney", "paralegal", "ops"}, "admin", false},
		{idURL("/rules/%d/enabled", ruleID), url.Values{"enabled": {"0"}}, []string{"attorney", "paralegal", "ops"}, "admin", false},
		{"/rules/new", url.Values{"name": {"x"}, "to_status": {"retained"}, "a0_template": {"welcome"}, "a0_first": {"email"}}, []string{"attorney", "paralegal", "ops"}, "admin", false},
		{"/settings", settingsForm(), []string{"attorney", "paralegal", "ops"}, "admin", true},
		{"/pauses/firm", url.Values{"reason": {"x"}, "confirm": {"yes"}}, []string{"paralegal", "ops"}, "attorney", false},
		{"/pauses/firm/resume", url.Values{"confirm": {"yes"}}, []string{"paralegal", "ops"}, "admin", false},
		{idURL("/clients/%d/pause", clientID), url.Values{"reason": {"x"}, "confirm": {"yes"}}, []string{"paralegal", "ops"}, "attorney", false},
		{idURL("/clients/%d/unpause", clientID), url.Values{"confirm": {"yes"}}, []string{"paralegal", "ops"}, "admin", false},
	}
	before := e.scalar(`SELECT count(*) FROM audit_log`)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			for _, role := range tt.wrongs {
				wrong := e.browser()
				wrong.signIn("Wrong "+role, role)
				if resp, _ := wrong.post(tt.path, clone(tt.form)); resp.StatusCode != http.StatusForbidden {
					t.Errorf("%s POST %s = %d, want 403", role, tt.path, resp.StatusCode)
				}
			}
			right := e.browser()
			right.signIn("Right "+tt.right, tt.right)
			missing := clone(tt.form)
			missing.Set("_csrf", "")
			if resp, _ := right.post(tt.path, missing); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s without CSRF = %d, want 403", tt.right, tt.path, resp.StatusCode)
			}
			forged := clone(tt.form)
			forged.Set("_csrf", strings.Repeat("A", 43))
			if resp, _ := right.post(tt.path, forged); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s with a forged CSRF token = %d, want 403", tt.right, tt.path, resp.StatusCode)
			}
		})
	}
	if after := e.scalar(`SELECT count(*) FROM audit_log`); after != before {
		t.Errorf("audit rows %v → %v: a refused request changed something", before, after)
	}
	if n := e.scalar(`SELECT count(*) FROM pauses`); n != int64(0) {
		t.Errorf("%v pauses after refused requests", n)
	}
	if n := e.scalar(`SELECT count(*) FROM firm_settings`); n != int64(0) {
		t.Errorf("%v settings rows after refused requests", n)
	}

	// Pages: who may open them.
	pages := map[string][]string{
		"/rules/new":                            {"admin"},
		idURL("/rules/%d", ruleID):              {"admin", "attorney", "paralegal"},
		"/settings":                             {"admin"},
		"/pauses":                               {"admin", "attorney"},
		idURL("/clients/%d/pause", clientID):    {"admin", "attorney"},
		idURL("/clients/%d/timeline", clientID): {"admin", "attorney", "paralegal", "ops"},
	}
	for _, role := range []string{"admin", "attorney", "paralegal", "ops"} {
		b := e.browser()
		b.signIn("Staff "+role, role)
		for path, allowed := range pages {
			want := http.StatusForbidden
			for _, r := range allowed {
				if r == role {
					want = http.StatusOK
				}
			}
			if resp, _ := b.get(path); resp.StatusCode != want {
				t.Errorf("%s GET %s = %d, want %d", role, path, resp.StatusCode, want)
			}
		}
		_, doc := b.get("/")
		hasSettings := doc.Find(`[data-testid="nav-settings"]`).Length() == 1
		hasPauses := doc.Find(`[data-testid="nav-pauses"]`).Length() == 1
		if hasSettings != (role == "admin") || hasPauses != (role == "admin" || role == "attorney") {
			t.Errorf("%s nav: settings %v, pauses %v", role, hasSettings, hasPauses)
		}
	}
}

// planStatusChange moves a new case into status through the real planner
// (default playbook) and returns the decisions it recorded.
func planStatusChange(t *testing.T, e *portalEnv, status string) []string {
	t.Helper()
	ctx := context.Background()
	e.addCase("P-0", "2026-CV-0500", "Pia", "Ruiz", "intake_complete") // seeds statuses
	if _, err := content.Seed(ctx, e.db); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Seed(ctx, e.db, config.RulesYAML); err != nil {
		t.Fatal(err)
	}
	var eventID int64
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, body) VALUES ('generic', 'evt-plan-1', '{}') RETURNING id`).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	cs := cases.New(e.db, e.clock, time.UTC)
	at := e.clock.Now()
	nc := normalize.Case{CaseID: "P-1", ClientID: strp("cl-P-1"), CaseNumber: strp("2026-CV-0501"), Status: strp(status),
		Client: normalize.Client{FirstName: strp("Rosa"), LastName: strp("Diaz"), Email: strp("rosa@example.com"), MobilePhone: strp("+13125550123")}}
	ch, err := cs.Apply(ctx, "generic", eventID, nc, &at)
	if err != nil {
		t.Fatal(err)
	}
	engine := render.New(render.Options{Now: e.clock.Now, FirmLocation: time.UTC})
	planner := rules.NewPlanner(rules.Deps{DB: e.db, Clock: e.clock,
		Config: rules.Config{FirmName: "Test Law", FirmPhone: "+1 312 555 0100", PortalURL: "http://herald.test", DefaultLang: "en"},
		Pauses: pause.New(e.db, e.clock), OptOuts: consent.New(e.db, e.clock), Templates: content.New(e.db, engine, e.clock, "en"),
		Engine: engine, Cases: cs})
	if err := planner.Plan(ctx, ch); err != nil {
		t.Fatal(err)
	}
	var out []string
	rows, err := e.db.Pool.Query(ctx, `SELECT result FROM rule_decisions WHERE inbound_event_id = $1 ORDER BY id`, eventID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var r string
		rows.Scan(&r)
		out = append(out, r)
	}
	return out
}
