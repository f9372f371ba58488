package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/web"
)

// checkinApp serves the public check-in page over a real database, with a
// client whose check-in email carries link.
type checkinApp struct {
	*engagementApp
	links *engagement.CheckinLinks
	path  string // /checkin/<token>
	msg   int64
}

func newCheckinApp(t *testing.T) *checkinApp {
	t.Helper()
	d := healthDeps(t, nil)
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	d.Clock = clk
	d.Config.PublicURL = publicURL
	links, err := engagement.NewCheckinLinks("0123456789abcdef0123456789abcdef", publicURL, 0)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := engagement.New(engagement.Deps{DB: d.DB, Ledger: ledger.New(d.DB, clk), Consent: consent.New(d.DB, clk),
		Pauses: pause.New(d.DB, clk), Enqueuer: &nopEnqueuer{}, Clock: clk, Checkin: links},
		engagement.Config{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100"})
	if err != nil {
		t.Fatal(err)
	}
	d.Services = web.Services{Checkins: svc}
	a := &checkinApp{engagementApp: &engagementApp{app: web.New(d), d: d, clk: clk}, links: links}
	a.client = ledgertest.SeedClient(t, d.DB, engPhone, engEmail, "")
	link := links.Link(a.client.CaseID, a.client.ClientID, clk.Now())
	a.path = strings.TrimPrefix(link, publicURL)
	a.msg = ledgertest.Message(t, d.DB, ledger.NewMessage{Channel: "email", Recipient: engEmail, Kind: "checkin",
		CaseID: &a.client.CaseID, ClientID: &a.client.ClientID, Subject: "One quick question",
		BodyHTML: `<p><a href="` + link + `">Answer</a></p>`, BodyText: "Answer: " + link})
	return a
}

// page fetches path and parses it.
func (a *checkinApp) page(t *testing.T, method, path string, form url.Values, headers map[string]string) (*http.Response, *goquery.Document) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, doc
}

// nonce reads the form nonce from the question page.
func (a *checkinApp) nonce(t *testing.T) string {
	t.Helper()
	_, doc := a.page(t, "GET", a.path, nil, nil)
	n, ok := doc.Find(`[data-testid=checkin-form] input[name=nonce]`).Attr("value")
	if !ok || n == "" {
		t.Fatal("the question page has no form nonce")
	}
	return n
}

func TestCheckinPageAsksAndRecords(t *testing.T) {
	a := newCheckinApp(t)
	resp, doc := a.page(t, "GET", a.path, nil, nil)
	if resp.StatusCode != 200 || doc.Find("[data-testid=checkin]").AttrOr("data-state", "") != "ask" {
		t.Fatalf("GET = %d state %q, want 200 ask", resp.StatusCode, doc.Find("[data-testid=checkin]").AttrOr("data-state", ""))
	}
	for h, want := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	form := doc.Find("[data-testid=checkin-form]")
	if form.AttrOr("method", "") != "post" || form.AttrOr("action", "") != a.path {
		t.Errorf("form %s %s, want post to the link itself", form.AttrOr("method", ""), form.AttrOr("action", ""))
	}
	buttons := form.Find("fieldset button[type=submit][name=score]")
	if buttons.Length() != 11 || buttons.First().AttrOr("value", "") != "0" || buttons.Last().AttrOr("value", "") != "10" ||
		buttons.Last().AttrOr("aria-label", "") != "10 out of 10" {
		t.Errorf("score buttons: %d, want 0..10 with spoken labels", buttons.Length())
	}
	if form.Find("fieldset legend").Text() == "" || doc.Find("html").AttrOr("lang", "") != "en" {
		t.Error("the buttons need a legend and the page a language")
	}
	if got := a.count(t, `SELECT count(*) FROM checkin_responses`); got != 0 {
		t.Fatalf("GET recorded %d answers, want none (mail scanners fetch links)", got)
	}

	nonce := a.nonce(t)
	a.clk.Advance(10 * time.Minute)
	resp, _ = a.page(t, "POST", a.path, url.Values{"nonce": {nonce}, "score": {"2"}}, map[string]string{"Origin": publicURL})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != a.path {
		t.Fatalf("POST = %d to %q, want 303 back to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, doc = a.page(t, "GET", a.path, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(doc.Find("[data-testid=checkin-recorded]").Text(), "2 out of 10") {
		t.Errorf("after answering: %d %q, want the thank-you with the score", resp.StatusCode, doc.Find("main").Text())
	}
	if got := a.count(t, `SELECT count(*) FROM checkin_responses WHERE score = 2 AND case_id = $1 AND message_id = $2`, a.client.CaseID, a.msg); got != 1 {
		t.Errorf("recorded answers = %d, want 1 tied to the check-in email", got)
	}
	if got := a.count(t, `SELECT count(*) FROM staff_tasks WHERE title = 'Low satisfaction score: 2/10' AND case_id = $1`, a.client.CaseID); got != 1 {
		t.Errorf("low-score tasks = %d, want 1", got)
	}

	// Replayed POST: refused clearly, the first answer stands.
	resp, doc = a.page(t, "POST", a.path, url.Values{"nonce": {nonce}, "score": {"10"}}, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(doc.Find("[data-testid=checkin-already]").Text(), "2 out of 10") {
		t.Errorf("replay = %d %q, want 409 saying the first answer (2) stands", resp.StatusCode, doc.Find("main").Text())
	}
	if got := a.count(t, `SELECT count(*) FROM checkin_responses`); got != 1 {
		t.Errorf("answers after a replay = %d, want 1", got)
	}
}

func TestCheckinPageRefusals(t *testing.T) {
	a := newCheckinApp(t)
	token := strings.TrimPrefix(a.path, "/checkin/")
	tampered := "/checkin/" + token[:10] + map[bool]string{true: "B", false: "A"}[token[10] == 'A'] + token[11:]
	nonce := a.nonce(t)
	tests := []struct {
		name       string
		method     string
		path       string
		form       url.Values
		headers    map[string]string
		wantStatus int
		wantState  string
		wantText   string
	}{
		{"tampered link", "GET", tampered, nil, nil, 404, "invalid", "not valid"},
		{"tampered link, POST", "POST", tampered, url.Values{"nonce": {nonce}, "score": {"5"}}, nil, 404, "invalid", "not valid"},
		{"no nonce", "POST", a.path, url.Values{"score": {"5"}}, nil, 403, "ask", "choose your answer again"},
		{"nonce of another link", "POST", a.path, url.Values{"nonce": {a.links.FormNonce("other", a.clk.Now())}, "score": {"5"}}, nil, 403, "ask", "again"},
		{"from another site", "POST", a.path, url.Values{"nonce": {nonce}, "score": {"5"}}, map[string]string{"Origin": "https://evil.example"}, 403, "ask", "again"},
		{"cross-site fetch", "POST", a.path, url.Values{"nonce": {nonce}, "score": {"5"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "ask", "again"},
		{"not a score", "POST", a.path, url.Values{"nonce": {nonce}, "score": {"eleven"}}, nil, 400, "ask", "from 0 to 10"},
		{"out of range", "POST", a.path, url.Values{"nonce": {nonce}, "score": {"11"}}, nil, 400, "ask", "from 0 to 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, doc := a.page(t, tt.method, tt.path, tt.form, tt.headers)
			state := doc.Find("[data-testid=checkin]").AttrOr("data-state", "")
			if resp.StatusCode != tt.wantStatus || state != tt.wantState || !strings.Contains(doc.Find("main").Text(), tt.wantText) {
				t.Errorf("= %d %s %q, want %d %s containing %q", resp.StatusCode, state, doc.Find("main").Text(), tt.wantStatus, tt.wantState, tt.wantText)
			}
			if tt.wantState == "ask" && doc.Find("input[name=nonce]").AttrOr("value", "") == "" {
				t.Error("the form shown again has no fresh nonce")
			}
			if got := a.count(t, `SELECT count(*) FROM checkin_responses`); got != 0 {
				t.Errorf("answers recorded = %d, want 0", got)
			}
		})
	}
	// A stale page (older than two hours) is refused; the link itself still works.
	a.clk.Advance(2*time.Hour + time.Minute)
	if resp, _ := a.page(t, "POST", a.path, url.Values{"nonce": {nonce}, "score": {"5"}}, nil); resp.StatusCode != 403 {
		t.Errorf("stale page = %d, want 403", resp.StatusCode)
	}
	// Past the link's expiry: 410 with whom to call.
	a.clk.Advance(engagement.DefaultCheckinLinkTTL)
	resp, doc := a.page(t, "GET", a.path, nil, nil)
	if resp.StatusCode != http.StatusGone || !strings.Contains(doc.Find("[data-testid=checkin-expired]").Text(), "+1 312 555 0100") {
		t.Errorf("expired = %d %q, want 410 with the firm's phone", resp.StatusCode, doc.Find("main").Text())
	}
	if got := a.count(t, `SELECT count(*) FROM checkin_responses`); got != 0 {
		t.Errorf("answers recorded = %d, want 0", got)
	}
}
