package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/web"
)

// wakeLog remembers which messages delivery was woken for.
type wakeLog struct {
	mu  sync.Mutex
	ids []int64
}

func (w *wakeLog) EnqueueMessage(_ context.Context, id int64, _ int, _ time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ids = append(w.ids, id)
	return nil
}

func (w *wakeLog) woken(id int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, x := range w.ids {
		if x == id {
			return true
		}
	}
	return false
}

// withEngagement wires the real engagement service as the portal's
// analytics and replies, and returns it (set once the app is built); tweak
// changes its configuration.
func withEngagement(t *testing.T, svc **engagement.Service, wakes *wakeLog, tweak ...func(*engagement.Config)) func(*web.Deps) {
	return func(d *web.Deps) {
		clk := d.Clock.(*clock.Fake)
		cfg := engagement.Config{FirmName: "Test Law", FirmPhone: "+13125550100"}
		for _, f := range tweak {
			f(&cfg)
		}
		s, err := engagement.New(engagement.Deps{DB: d.DB, Ledger: ledger.New(d.DB, clk), Consent: consent.New(d.DB, clk),
			Pauses: pause.New(d.DB, clk), Enqueuer: wakes, Clock: clk}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		d.Services.Analytics, d.Services.Portal.Replies = s, s
		*svc = s
	}
}

// clientTexts makes client clientID's number text the firm.
func clientTexts(t *testing.T, svc *engagement.Service, sid, body string) engagement.InboundResult {
	t.Helper()
	r, err := svc.HandleInbound(context.Background(), engagement.InboundSMS{MessageSid: sid, From: "+13125550111", To: "+13125550100", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestConversationShowsBothWaysAndMarksRead(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}))
	caseID, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	out := e.addMessage(caseID, "delivered", "sms", "", "")
	e.exec(`UPDATE messages SET sent_at = $2, delivered_at = $2 WHERE id = $1`, out, e.clock.Now())
	e.clock.Advance(time.Minute)
	clientTexts(t, svc, "SM1", "Can I bring my sister to the meeting?")
	e.clock.Advance(time.Minute)
	clientTexts(t, svc, "SM2", "Also, what should I wear?")
	path := idURL("/clients/%d/conversation", clientID)

	// Ops may look, but only someone who answers replies marks them read.
	ops := e.browser()
	ops.signIn("Olga", "ops")
	resp, doc := ops.get(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ops GET = %d", resp.StatusCode)
	}
	if n := doc.Find(`[data-testid="reply-box"]`).Length(); n != 0 {
		t.Error("ops sees a reply box")
	}
	if got := e.scalar(`SELECT count(*) FROM inbound_messages WHERE unread`); got != int64(2) {
		t.Errorf("unread after ops looked = %v, want 2", got)
	}

	b := e.browser()
	b.signIn("Pat", "paralegal")
	_, doc = b.get(path)
	texts := doc.Find(`[data-testid="conversation"] > li`)
	if texts.Length() != 3 {
		t.Fatalf("texts = %d, want 3 (one sent, two received)", texts.Length())
	}
	wantOrder := []string{"text-out", "text-in", "text-in"}
	texts.Each(func(i int, s *goquery.Selection) {
		if id, _ := s.Attr("data-testid"); id != wantOrder[i] {
			t.Errorf("text %d is %s, want %s (oldest first)", i, id, wantOrder[i])
		}
	})
	if got := doc.Find(`[data-testid="text-in"] [data-testid="unread"]`).Length(); got != 2 {
		t.Errorf("unread markers = %d, want 2", got)
	}
	if got := text(doc, `[data-testid="text-in"]:last-child .bubble`); got != "Also, what should I wear?" {
		t.Errorf("last text = %q", got)
	}
	if got := text(doc, `[data-testid="engagement"] [data-testid="channel-sms"] [data-testid="channel-state"]`); got != "works" {
		t.Errorf("sms channel state = %q, want works", got)
	}
	if got := e.scalar(`SELECT count(*) FROM inbound_messages WHERE unread`); got != int64(0) {
		t.Errorf("unread after the paralegal looked = %v, want 0", got)
	}
	_, doc = b.get(path)
	if got := doc.Find(`[data-testid="unread"]`).Length(); got != 0 {
		t.Errorf("unread markers on the second visit = %d, want 0", got)
	}

	// The reply lands on the client's timeline too, with the engagement summary.
	_, doc = b.get(idURL("/clients/%d/timeline", clientID))
	if !strings.Contains(text(doc, `[data-testid="entry-reply"]`), "Can I bring my sister to the meeting?") {
		t.Errorf("timeline replies = %q, want the client's text", text(doc, `[data-testid="entry-reply"]`))
	}
	if doc.Find(`[data-testid="engagement"]`).Length() != 1 || doc.Find(`[data-testid="to-conversation"]`).Length() != 1 {
		t.Error("timeline lacks the engagement summary or the link to the conversation")
	}
	if _, doc = b.get(idURL("/clients/%d/conversation", 999999)); !strings.Contains(text(doc, `[data-testid="error-message"]`), "not found") {
		t.Errorf("unknown client: %q", text(doc, "body"))
	}
}

func TestReplyGoesThroughTheLedger(t *testing.T) {
	var svc *engagement.Service
	wakes := &wakeLog{}
	e := newPortal(t, withEngagement(t, &svc, wakes))
	_, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	clientTexts(t, svc, "SM1", "Is my hearing still on Friday?")
	path := idURL("/clients/%d/conversation", clientID)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	_, doc := b.get(path)
	key, _ := doc.Find(`[data-testid="reply-box"] input[name="key"]`).Attr("value")
	if key == "" {
		t.Fatal("the reply form has no idempotency key")
	}
	form := url.Values{"body": {"Yes, Friday at 9am. Bring your ID."}, "key": {key}}
	resp, _ := b.post(path, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply = %d, want 303", resp.StatusCode)
	}
	var id, caseID int64
	var kind, recipient, status string
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT id, kind, recipient, status, case_id FROM messages WHERE body_text = $1`,
		form.Get("body")).Scan(&id, &kind, &recipient, &status, &caseID); err != nil {
		t.Fatalf("the reply is not in the ledger: %v", err)
	}
	if kind != "staff_reply" || recipient != "+13125550111" || status != ledger.StatusPending || caseID == 0 {
		t.Errorf("ledger row = %s to %s %s case %d, want a pending staff_reply to the client's phone on their case", kind, recipient, status, caseID)
	}
	if !wakes.woken(id) {
		t.Error("delivery was not woken for the reply")
	}
	if got := e.scalar(`SELECT count(*) FROM audit_log WHERE action = 'message.staff_reply' AND actor LIKE 'Pat <%'`); got != int64(1) {
		t.Errorf("audit rows = %v, want 1 naming Pat", got)
	}
	loc := resp.Header.Get("Location")
	if !strings.Contains(loc, "sent="+itoa(id)) {
		t.Fatalf("redirect %q does not name the reply", loc)
	}
	loc, _, _ = strings.Cut(loc, "#") // a browser keeps the fragment to itself
	_, doc = b.get(loc)
	if got := text(doc, `[data-testid="sent-status"] .pill`); got != "pending" {
		t.Errorf("sent status = %q, want pending", got)
	}
	if got := text(doc, `[data-testid="text-out"] .meta .muted`); !strings.HasPrefix(got, "Reply by Pat") {
		t.Errorf("reply author = %q, want Pat", got)
	}
	// A double submit of the same form sends once.
	if resp, _ := b.post(path, form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("resubmit = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT count(*) FROM messages WHERE kind = 'staff_reply'`); got != int64(1) {
		t.Errorf("staff replies after a double submit = %v, want 1", got)
	}
	// An empty reply is refused with the field named.
	resp, doc = b.post(path, url.Values{"body": {"   "}, "key": {"k2"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text(doc, `[data-testid="flash-error"]`), "body") {
		t.Errorf("empty reply = %d %q, want 400 naming the body", resp.StatusCode, text(doc, `[data-testid="flash-error"]`))
	}
}

func TestReplyToOptedOutClientIsRefused(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}))
	_, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	clientTexts(t, svc, "SM1", "STOP")
	path := idURL("/clients/%d/conversation", clientID)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	_, doc := b.get(path)
	if got := text(doc, `[data-testid="reply-refused"]`); !strings.Contains(got, "opted out") {
		t.Errorf("reply box = %q, want the opt-out explained", got)
	}
	if doc.Find(`[data-testid="reply-body"]`).Length() != 0 {
		t.Error("the reply box still offers a text field to an opted-out client")
	}
	// A form posted anyway (an old tab) is refused by the server.
	resp, doc := b.post(path, url.Values{"body": {"Please call us"}, "key": {"old-tab"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("reply after STOP = %d, want 409", resp.StatusCode)
	}
	if got := text(doc, `[data-testid="flash-error"]`); !strings.Contains(got, "opted out") || !strings.Contains(got, "call or email") {
		t.Errorf("refusal = %q, want the opt-out and what to do instead", got)
	}
	if got := e.scalar(`SELECT count(*) FROM messages WHERE kind = 'staff_reply'`); got != int64(0) {
		t.Errorf("staff replies = %v, want none", got)
	}
	_, doc = b.get(idURL("/clients/%d/timeline", clientID))
	if got := text(doc, `[data-testid="channel-sms"] [data-testid="channel-state"]`); got != "opted out" {
		t.Errorf("timeline sms state = %q, want opted out", got)
	}
}

func TestReplyRefusesRolesAndCSRF(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}))
	_, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	path := idURL("/clients/%d/conversation", clientID)
	for _, role := range []string{"attorney", "ops"} {
		b := e.browser()
		b.signIn("Wrong "+role, role)
		if resp, _ := b.post(path, url.Values{"body": {"hi"}, "key": {role}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s reply = %d, want 403", role, resp.StatusCode)
		}
	}
	admin := e.browser()
	admin.signIn("Ada", "admin")
	for name, tok := range map[string]string{"missing": "", "forged": strings.Repeat("A", 43)} {
		if resp, _ := admin.post(path, url.Values{"body": {"hi"}, "key": {name}, "_csrf": {tok}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("admin reply with %s CSRF token = %d, want 403", name, resp.StatusCode)
		}
	}
	if got := e.scalar(`SELECT count(*) FROM messages`); got != int64(0) {
		t.Errorf("messages after refused replies = %v, want 0", got)
	}
	if resp, _ := admin.post(path, url.Values{"body": {"hi"}, "key": {"ok"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("admin reply = %d, want 303", resp.StatusCode)
	}
}
