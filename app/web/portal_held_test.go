package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/sandbox"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/web"
)

// withHeld wires the real delivery service for the held-message actions.
func withHeld(t *testing.T, wakes *wakeLog) func(*web.Deps) {
	return func(d *web.Deps) {
		clk := d.Clock.(*clock.Fake)
		sb := sandbox.New(clk.Now)
		chicago, _ := time.LoadLocation("America/Chicago")
		svc, err := delivery.NewService(delivery.Deps{Ledger: ledger.New(d.DB, clk),
			Senders: map[string]delivery.Sender{delivery.ChannelEmail: sb, delivery.ChannelSMS: sb},
			Pauses:  pause.New(d.DB, clk), Consent: consent.New(d.DB, clk), Reads: d.DB.Pool, Enqueuer: wakes, Clock: clk},
			delivery.Config{RetrySchedule: []time.Duration{time.Minute},
				Window: delivery.DefaultWindowPolicy(delivery.Window{Start: 8 * time.Hour, End: 21 * time.Hour}, chicago)})
		if err != nil {
			t.Fatal(err)
		}
		d.Services.Portal.Held = svc
	}
}

// heldFixture holds one message of each kind for one client.
type heldFixture struct {
	caseID, clientID                                      int64
	window, pausedLifted, pausedInForce, privilege, plain int64
	optedOut                                              int64
}

func seedHeld(t *testing.T, e *portalEnv) heldFixture {
	t.Helper()
	var f heldFixture
	f.caseID, f.clientID = e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	other, _ := e.addCase("M-2", "2026-CV-0002", "Ben", "Okafor", "intake_complete")
	e.exec(`UPDATE clients SET mobile_phone = '+13125550122' WHERE id = (SELECT client_id FROM cases WHERE id = $1)`, other)
	hold := func(caseID int64, status, reason string, due time.Time) int64 {
		id := e.addMessage(caseID, status, "sms", "", "")
		e.exec(`UPDATE messages SET hold_reason = $2, due_at = $3, recipient = (SELECT mobile_phone FROM clients cl JOIN cases c ON c.client_id = cl.id WHERE c.id = $4)
			WHERE id = $1`, id, reason, due, caseID)
		return id
	}
	opens := time.Date(2026, 3, 3, 14, 0, 0, 0, time.UTC) // 08:00 in Chicago tomorrow
	f.window = hold(f.caseID, "held", "quiet_hours: outside the SMS window 08:00-21:00; held until 2026-03-03T14:00:00Z", opens)
	f.pausedLifted = hold(f.caseID, "held", "paused: case pause by att@firm.test: client in hospital", e.clock.Now())
	f.privilege = hold(f.caseID, "awaiting_approval", `privileged content (word "settlement") in the SMS: an attorney must approve`, e.clock.Now())
	f.plain = hold(f.caseID, "awaiting_approval", "", e.clock.Now())
	f.pausedInForce = hold(other, "held", "paused: client pause by att@firm.test: fee dispute", e.clock.Now())
	e.exec(`INSERT INTO pauses (scope, client_id, reason, paused_by) SELECT 'client', client_id, 'fee dispute', 'att@firm.test' FROM cases WHERE id = $1`, other)
	f.optedOut = hold(other, "held", "quiet_hours: outside the SMS window", opens)
	e.exec(`UPDATE messages SET recipient = '+13125550199' WHERE id = $1`, f.optedOut)
	e.exec(`INSERT INTO opt_outs (channel, address, opted_out) VALUES ('sms', '+13125550199', true)`)
	return f
}

func TestHeldListsWhyAndWhen(t *testing.T) {
	e := newPortal(t, withHeld(t, &wakeLog{}))
	f := seedHeld(t, e)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	resp, doc := b.get("/held")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /held = %d: %s", resp.StatusCode, text(doc, "body"))
	}
	kinds := map[int64]string{f.window: "sms_window", f.pausedLifted: "paused", f.pausedInForce: "paused", f.privilege: "privilege",
		f.plain: "approval", f.optedOut: "sms_window"}
	if got := doc.Find(`[data-testid="held"]`).Length(); got != len(kinds) {
		t.Fatalf("held cards = %d, want %d", got, len(kinds))
	}
	card := func(id int64) string { return `[data-testid="held"][data-id="` + itoa(id) + `"]` }
	for id, kind := range kinds {
		if got, _ := doc.Find(card(id)).Attr("data-kind"); got != kind {
			t.Errorf("message %d kind = %q, want %q", id, got, kind)
		}
	}
	if got := text(doc, card(f.window)+` [data-testid="held-when"]`); !strings.Contains(got, "by itself when the SMS window opens, at Mar 3, 2026 8:00 AM CST") {
		t.Errorf("window hold: %q, want when the window opens", got)
	}
	if got := text(doc, card(f.pausedLifted)+` [data-testid="held-when"]`); !strings.Contains(got, "only when someone releases it") {
		t.Errorf("pause hold: %q", got)
	}
	if got := text(doc, card(f.privilege)+` [data-testid="held-reason"]`); !strings.Contains(got, "privileged content") {
		t.Errorf("privilege hold reason: %q", got)
	}
	// Release is offered only where it can work.
	for id, want := range map[int64]int{f.pausedLifted: 1, f.pausedInForce: 0, f.window: 0, f.privilege: 0} {
		if got := doc.Find(card(id) + ` [data-testid="release"]`).Length(); got != want {
			t.Errorf("message %d release buttons = %d, want %d", id, got, want)
		}
	}
	if doc.Find(card(f.pausedInForce)+` [data-testid="held-pause-in-force"]`).Length() != 1 {
		t.Error("the pause in force is not explained")
	}
	if doc.Find(card(f.optedOut)+` [data-testid="held-opted-out"]`).Length() != 1 {
		t.Error("the opt-out is not explained")
	}
	if n := doc.Find(`[data-testid="send-now"]`).Length(); n != 0 {
		t.Errorf("a paralegal sees %d send-now buttons, want 0 (admins only)", n)
	}
	if got := doc.Find(`[data-testid="cancel"]`).Length(); got != len(kinds) {
		t.Errorf("cancel buttons = %d, want one per message", got)
	}
	if got := text(doc, `[data-testid="kind-sms_window"] .pill`); got != "2" {
		t.Errorf("sms window count = %q, want 2", got)
	}

	admin := e.browser()
	admin.signIn("Ada", "admin")
	_, doc = admin.get("/held?kind=sms_window")
	if got := doc.Find(`[data-testid="held"]`).Length(); got != 2 {
		t.Errorf("filtered cards = %d, want 2", got)
	}
	if got := doc.Find(card(f.window) + ` [data-testid="send-now"]`).Length(); got != 1 {
		t.Errorf("admin send-now for the window hold = %d, want 1", got)
	}
	if got := doc.Find(card(f.optedOut) + ` [data-testid="send-now"]`).Length(); got != 0 {
		t.Errorf("admin send-now for an opted-out hold = %d, want 0", got)
	}
	if resp, doc := admin.get("/held?kind=later"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(doc, "body"), "kind") {
		t.Errorf("unknown kind = %d, want 400 naming kind", resp.StatusCode)
	}

	// The dashboard's held count links here.
	_, doc = b.get("/")
	if href, _ := doc.Find(`[data-testid="tile-held"]`).Attr("href"); href != "/held" {
		t.Errorf("held tile links to %q, want /held", href)
	}
	if got := text(doc, `[data-testid="tile-held"] .tile-n`); got != "6" {
		t.Errorf("held tile = %q, want 6", got)
	}
}

func TestHeldActions(t *testing.T) {
	wakes := &wakeLog{}
	e := newPortal(t, withHeld(t, wakes))
	f := seedHeld(t, e)
	status := func(id int64) string { return e.scalar(`SELECT status FROM messages WHERE id = $1`, id).(string) }
	audits := func(action string) int64 {
		return e.scalar(`SELECT count(*) FROM audit_log WHERE action = $1`, action).(int64)
	}
	pat := e.browser()
	pat.signIn("Pat", "paralegal")
	pat.get("/held")

	// A pause that still stands is explained, and nothing moves.
	resp, doc := pat.post(idURL("/held/%d/release", f.pausedInForce), nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(text(doc, `[data-testid="flash-error"]`), "fee dispute") {
		t.Errorf("release under a pause = %d %q, want 409 naming the pause", resp.StatusCode, text(doc, `[data-testid="flash-error"]`))
	}
	if status(f.pausedInForce) != "held" {
		t.Errorf("refused release moved the message")
	}
	// A lifted pause: released, woken, audited.
	if resp, _ := pat.post(idURL("/held/%d/release", f.pausedLifted), nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("release = %d, want 303", resp.StatusCode)
	}
	if status(f.pausedLifted) != "pending" || !wakes.woken(f.pausedLifted) || audits("message.release") != 1 {
		t.Errorf("released message = %s woken %v audits %d; want pending, woken, one audit row",
			status(f.pausedLifted), wakes.woken(f.pausedLifted), audits("message.release"))
	}
	// A paralegal cannot release the SMS window, by either door.
	if resp, _ := pat.post(idURL("/held/%d/send-now", f.window), url.Values{"reason": {"urgent"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("paralegal send-now = %d, want 403", resp.StatusCode)
	}
	if resp, doc := pat.post(idURL("/held/%d/release", f.window), nil); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(text(doc, `[data-testid="flash-error"]`), "only an admin") {
		t.Errorf("paralegal release of a window hold = %d %q, want 409 saying only an admin", resp.StatusCode, text(doc, `[data-testid="flash-error"]`))
	}

	admin := e.browser()
	admin.signIn("Ada", "admin")
	admin.get("/held")
	if resp, doc := admin.post(idURL("/held/%d/send-now", f.window), url.Values{"reason": {" "}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(text(doc, `[data-testid="flash-error"]`), "reason") {
		t.Errorf("send-now without a reason = %d, want 400 naming the reason", resp.StatusCode)
	}
	if resp, _ := admin.post(idURL("/held/%d/send-now", f.window), url.Values{"reason": {"hearing moved to 8am"}, "_csrf": {""}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("send-now without CSRF = %d, want 403", resp.StatusCode)
	}
	if resp, doc := admin.post(idURL("/held/%d/send-now", f.optedOut), url.Values{"reason": {"urgent"}}); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(text(doc, `[data-testid="flash-error"]`), "opted out") {
		t.Errorf("send-now to an opted-out number = %d %q, want 409", resp.StatusCode, text(doc, `[data-testid="flash-error"]`))
	}
	if status(f.window) != "held" || status(f.optedOut) != "held" {
		t.Fatalf("refused requests moved messages: %s, %s", status(f.window), status(f.optedOut))
	}
	if resp, _ := admin.post(idURL("/held/%d/send-now", f.window), url.Values{"reason": {"hearing moved to 8am"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send-now = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT hold_reason FROM messages WHERE id = $1`, f.window); got != "window_released: hearing moved to 8am" || status(f.window) != "pending" {
		t.Errorf("sent-now message = %s %q", status(f.window), got)
	}
	if got := e.scalar(`SELECT actor_role || ' | ' || reason || ' | ' || actor FROM audit_log WHERE action = 'message.release_window'`).(string); !strings.HasPrefix(got, "admin | hearing moved to 8am | Ada <") {
		t.Errorf("window release audit = %q, want the admin, the reason and who", got)
	}

	// Cancel needs a note; the opted-out message can be cancelled.
	if resp, _ := pat.post(idURL("/held/%d/cancel", f.optedOut), url.Values{"note": {""}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("cancel without a note = %d, want 400", resp.StatusCode)
	}
	if resp, _ := pat.post(idURL("/held/%d/cancel", f.optedOut), url.Values{"note": {"client opted out; called instead"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("cancel = %d, want 303", resp.StatusCode)
	}
	if status(f.optedOut) != "cancelled" || audits("message.cancel") != 1 {
		t.Errorf("cancelled = %s with %d audit rows", status(f.optedOut), audits("message.cancel"))
	}
	if got := e.scalar(`SELECT reason FROM audit_log WHERE action = 'message.cancel'`); got != "client opted out; called instead" {
		t.Errorf("cancel audit reason = %v", got)
	}
	if resp, _ := pat.post(idURL("/held/%d/cancel", f.optedOut), url.Values{"note": {"again"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("cancel twice = %d, want 409", resp.StatusCode)
	}
}

func TestHeldRefusesRolesAndCSRF(t *testing.T) {
	e := newPortal(t, withHeld(t, &wakeLog{}))
	f := seedHeld(t, e)
	for _, tt := range []struct {
		role, method, path string
		want               int
	}{
		{"ops", "GET", "/held", http.StatusForbidden},
		{"attorney", "GET", "/held", http.StatusOK},
		{"ops", "POST", idURL("/held/%d/release", f.pausedLifted), http.StatusForbidden},
		{"ops", "POST", idURL("/held/%d/cancel", f.pausedLifted), http.StatusForbidden},
		{"attorney", "POST", idURL("/held/%d/send-now", f.window), http.StatusForbidden},
		{"paralegal", "POST", idURL("/held/%d/send-now", f.window), http.StatusForbidden},
	} {
		b := e.browser()
		b.signIn("Someone "+tt.role, tt.role)
		var resp *http.Response
		if tt.method == "GET" {
			resp, _ = b.get(tt.path)
		} else {
			resp, _ = b.post(tt.path, url.Values{"reason": {"x"}, "note": {"x"}})
		}
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s %s = %d, want %d", tt.role, tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
	pat := e.browser()
	pat.signIn("Pat", "paralegal")
	for name, tok := range map[string]string{"missing": "", "forged": strings.Repeat("A", 43)} {
		for _, path := range []string{idURL("/held/%d/release", f.pausedLifted), idURL("/held/%d/cancel", f.pausedLifted)} {
			if resp, _ := pat.post(path, url.Values{"note": {"x"}, "_csrf": {tok}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s with a %s CSRF token = %d, want 403", path, name, resp.StatusCode)
			}
		}
	}
	if got := e.scalar(`SELECT count(*) FROM audit_log`); got != int64(0) {
		t.Errorf("audit rows after refused requests = %v, want 0", got)
	}
	if got := e.scalar(`SELECT count(*) FROM messages WHERE status IN ('held', 'awaiting_approval')`); got != int64(6) {
		t.Errorf("held messages after refused requests = %v, want all 6", got)
	}
}
