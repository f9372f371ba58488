package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestDashboardCountsAndEmptyStates(t *testing.T) {
	e := newPortal(t)
	b := e.browser()
	b.signIn("Ann", "admin")
	_, doc := b.get("/")
	if doc.Find(`[data-testid="messages-today-empty"]`).Length() != 1 {
		t.Error("empty dashboard lacks the no-messages state")
	}
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	e.addMessage(caseID, "dead", "sms", "21211", "invalid number")
	e.addMessage(caseID, "outcome_unknown", "sms", "", "timeout")
	e.addMessage(caseID, "delivered", "email", "", "")
	e.exec(`INSERT INTO data_findings (case_id, field, code, raw) VALUES ($1, 'client_email', 'invalid_email', 'ana@@x')`, caseID)
	_, doc = b.get("/")
	for id, want := range map[string]string{"dead-letters": "1", "outcome-unknown": "1", "findings": "1", "paused-cases": "0"} {
		if got := text(doc, `[data-testid="tile-`+id+`"] .tile-n`); got != want {
			t.Errorf("tile %s = %q, want %s", id, got, want)
		}
	}
	if got := text(doc, `[data-testid="messages-sms"] caption`); got != "sms · 2" {
		t.Errorf("sms caption = %q, want sms · 2", got)
	}
}

func TestCaseListSearchFiltersAndPages(t *testing.T) {
	e := newPortal(t)
	for i, n := range []struct{ ext, num, first, last string }{
		{"M-1", "2026-CV-0001", "Ana", "Garcia"}, {"M-2", "2026-CV-0002", "Ben", "Okafor"}, {"M-3", "2026-PI-0003", "Cy", "Garcia"},
	} {
		id, _ := e.addCase(n.ext, n.num, n.first, n.last, "intake_complete")
		e.exec(`UPDATE cases SET updated_at = updated_at + $2 * interval '1 minute' WHERE id = $1`, id, i)
	}
	b := e.browser()
	b.signIn("Pat", "paralegal")
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{"2026-PI-0003", "2026-CV-0002", "2026-CV-0001"}},
		{"q=garcia", []string{"2026-PI-0003", "2026-CV-0001"}},
		{"q=2026-CV", []string{"2026-CV-0002", "2026-CV-0001"}},
		{"q=nobody", nil},
	}
	for _, tt := range tests {
		_, doc := b.get("/cases?" + tt.query)
		var got []string
		doc.Find(`[data-testid="case-row"] td:first-child a`).Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("/cases?%s rows = %v, want %v", tt.query, got, tt.want)
		}
		if tt.want == nil && doc.Find(`[data-testid="cases-empty"]`).Length() != 1 {
			t.Errorf("/cases?%s lacks the empty state", tt.query)
		}
	}
	// Keyset pages of one row each walk every case once.
	_, doc := b.get("/cases")
	if doc.Find(`[data-testid="next-page"]`).Length() != 0 {
		t.Error("a single page shows a next link")
	}
}

func TestCaseDetailFindingsAndBigRedButton(t *testing.T) {
	e := newPortal(t)
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	e.exec(`INSERT INTO data_findings (case_id, field, code, raw, suggestion) VALUES ($1, 'client_email', 'suspected_typo', 'ana@gmial.com', 'ana@gmail.com')`, caseID)
	b := e.browser()
	b.signIn("Alex Attorney", "attorney")
	path := idURL("/cases/%d", caseID)
	_, doc := b.get(path)
	if got := text(doc, `[data-testid="finding-client_email"]`); !strings.Contains(got, "suspected_typo") || !strings.Contains(got, "ana@gmail.com") {
		t.Errorf("finding next to client_email = %q, want the code and suggestion", got)
	}
	if doc.Find(`[data-testid="pause-banner"]`).Length() != 0 {
		t.Fatal("unpaused case shows the pause banner")
	}

	// No reason: refused, nothing paused.
	resp, doc := b.post(path+"/pause", url.Values{"reason": {"  "}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(doc, `[data-testid="flash-error"]`), "reason is required") {
		t.Errorf("pause without reason = %d %q, want 400 with the problem", resp.StatusCode, text(doc, `[data-testid="flash-error"]`))
	}
	// First press only asks for confirmation.
	resp, doc = b.post(path+"/pause", url.Values{"reason": {"client in hospital"}, "expires": {"2026-03-09T09:00"}})
	if resp.StatusCode != 200 || doc.Find(`[data-testid="pause-confirm"]`).Length() != 1 {
		t.Fatalf("first press = %d, want 200 with the confirmation step", resp.StatusCode)
	}
	if n := e.scalar(`SELECT count(*) FROM pauses`); n != int64(0) {
		t.Fatal("the confirmation step paused the case already")
	}
	resp, _ = b.post(path+"/pause", url.Values{"reason": {"client in hospital"}, "expires": {"2026-03-09T09:00"}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed pause = %d, want 303", resp.StatusCode)
	}
	_, doc = b.get(path + "?done=paused")
	if doc.Find(`[data-testid="pause-banner"]`).Length() != 1 || doc.Find(`[data-testid="case-head"] [data-testid="paused-badge"]`).Length() != 1 {
		t.Error("paused case lacks the red banner and badge")
	}
	if got := text(doc, `[data-testid="pause-banner"]`); !strings.Contains(got, "client in hospital") || !strings.Contains(got, "Alex Attorney") {
		t.Errorf("banner = %q, want the reason and who paused", got)
	}
	if got := e.scalar(`SELECT to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM pauses WHERE case_id = $1`, caseID); got != "2026-03-09 14:00" {
		t.Errorf("expiry stored as %v, want 09:00 Chicago = 14:00 UTC", got)
	}
	if n := e.scalar(`SELECT count(*) FROM audit_log WHERE action LIKE 'pause%' AND actor LIKE 'Alex Attorney%'`); n != int64(1) {
		t.Errorf("%v pause audit rows by the attorney, want 1", n)
	}
	// The case list shows it red too.
	_, doc = b.get("/cases?paused=yes")
	if doc.Find(`tr.row-paused [data-testid="paused-badge"]`).Length() != 1 {
		t.Error("paused case is not red in the case list")
	}
	// Unpause, confirmed.
	b.post(path+"/unpause", url.Values{"reason": {"back home"}})
	resp, _ = b.post(path+"/unpause", url.Values{"reason": {"back home"}, "confirm": {"yes"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed unpause = %d, want 303", resp.StatusCode)
	}
	_, doc = b.get(path)
	if doc.Find(`[data-testid="pause-banner"]`).Length() != 0 {
		t.Error("resumed case still shows the pause banner")
	}
	// A paralegal sees the case but not the button.
	p := e.browser()
	p.signIn("Pat", "paralegal")
	if _, doc := p.get(path); doc.Find(`[data-testid="big-red-button"]`).Length() != 0 {
		t.Error("paralegal sees the big red button")
	}
}

func TestDashboardLinksOnlyWhatTheRoleMayOpen(t *testing.T) {
	e := newPortal(t)
	tests := []struct {
		role     string
		tile     string
		wantLink bool
	}{
		{"paralegal", "dead-letters", true},
		{"paralegal", "approvals", false},
		{"attorney", "approvals", true},
		{"attorney", "dead-letters", false},
	}
	for _, tt := range tests {
		b := e.browser()
		b.signIn("X "+tt.role, tt.role)
		_, doc := b.get("/")
		if got := doc.Find(`a[data-testid="tile-`+tt.tile+`"]`).Length() == 1; got != tt.wantLink {
			t.Errorf("%s: tile %s is a link = %v, want %v", tt.role, tt.tile, got, tt.wantLink)
		}
	}
}
