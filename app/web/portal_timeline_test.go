package web_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTimelinePagesLoadOlderWithHtmx: a long timeline shows one page with a
// link to older entries; htmx fetches just the next entries to append; the
// CSV export still has every entry.
func TestTimelinePagesLoadOlderWithHtmx(t *testing.T) {
	e := newPortal(t)
	caseID, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	e.exec(`INSERT INTO messages (idempotency_key, case_id, client_id, channel, recipient, body_text, status, created_at)
		SELECT 'k' || g, $1, $2, 'sms', '+13125550111', 'update ' || g, 'delivered', $3::timestamptz - g * interval '1 minute'
		FROM generate_series(1, 70) g`, caseID, clientID, e.clock.Now())
	path := idURL("/clients/%d/timeline", clientID)
	b := e.browser()
	b.signIn("Pat", "paralegal")

	_, doc := b.get(path + "?channel=sms")
	if n := doc.Find(`[data-testid="entry-message"]`).Length(); n != 50 {
		t.Errorf("first page shows %d messages, want 50", n)
	}
	older := doc.Find(`[data-testid="timeline-older"] a`)
	href, _ := older.Attr("href")
	hxGet, _ := older.Attr("hx-get")
	if href == "" || hxGet != href || !strings.Contains(href, "channel=sms") || !strings.Contains(href, "after=") {
		t.Fatalf("older link href %q hx-get %q, want one URL keeping the filter and a cursor", href, hxGet)
	}
	if doc.Find(`[data-testid="timeline-newest"]`).Length() != 0 {
		t.Error("the newest page links to the newest page")
	}

	req := httptest.NewRequest("GET", href, nil)
	req.Header.Set("HX-Request", "true")
	resp := b.do(req)
	part := b.parse(resp)
	if resp.StatusCode != 200 || part.Find("html nav, header").Length() != 0 || part.Find(`ol.timeline`).Length() != 0 {
		t.Fatalf("htmx older page = %d, want 200 with entries only (no layout)", resp.StatusCode)
	}
	if n := part.Find(`[data-testid="entry-message"]`).Length(); n != 20 {
		t.Errorf("older entries = %d, want the remaining 20", n)
	}
	if first := text(part, `[data-testid="entry-message"]:first-child pre`); first != "update 51" {
		t.Errorf("older page starts with %q, want update 51", first)
	}
	if part.Find(`[data-testid="timeline-older"]`).Length() != 0 {
		t.Error("the last page still offers older entries")
	}

	_, doc = b.get(href)
	if doc.Find(`[data-testid="timeline-newest"]`).Length() != 1 || doc.Find(`[data-testid="entry-message"]`).Length() != 20 {
		t.Error("the older page without htmx is not a full page of the 20 older entries with a link back to the newest")
	}

	resp = b.do(httptest.NewRequest("GET", path+".csv", nil))
	body, _ := io.ReadAll(resp.Body)
	if rows := strings.Count(string(body), ",message,"); rows != 70 {
		t.Errorf("CSV has %d message rows, want all 70", rows)
	}
	resp, doc = b.get(path + "?status=lost")
	if resp.StatusCode != 400 || !strings.Contains(doc.Text(), "status") {
		t.Errorf("unknown status = %d %q, want 400 naming the status field", resp.StatusCode, text(doc, "main"))
	}
}
