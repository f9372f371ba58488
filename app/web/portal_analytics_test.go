package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app/engagement"
)

// analyticsFixture is a seeded week with known counts: an SMS template
// (50 sent, 40 delivered: flagged) and an email template (10 sent, 8
// delivered, 2 opened: too few sends to judge).
type analyticsFixture struct {
	smsID, emailID   int64
	smsKey, emailKey string
}

func seedAnalytics(t *testing.T, e *portalEnv) analyticsFixture {
	t.Helper()
	seedTemplates(t, e)
	var f analyticsFixture
	ctx := context.Background()
	if err := e.db.Pool.QueryRow(ctx, `SELECT id, key FROM message_templates WHERE channel = 'sms' AND language = 'en' ORDER BY key LIMIT 1`).Scan(&f.smsID, &f.smsKey); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Pool.QueryRow(ctx, `SELECT id, key FROM message_templates WHERE channel = 'email' AND language = 'en' ORDER BY key LIMIT 1`).Scan(&f.emailID, &f.emailKey); err != nil {
		t.Fatal(err)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	n := 0
	send := func(tpl int64, channel, status string, count, day, hour int) {
		t.Helper()
		at := time.Date(2026, 2, day, hour, 0, 0, 0, chicago)
		if day > 28 {
			at = time.Date(2026, 3, day-28, hour, 0, 0, 0, chicago)
		}
		recipient := `'+1312555' || lpad((i + $6)::text, 4, '0')`
		if channel == "email" {
			recipient = `'c' || (i + $6) || '@example.com'`
		}
		e.exec(`INSERT INTO messages (idempotency_key, channel, recipient, template_version_id, status, sent_at, delivered_at, body_text)
			SELECT 'a-' || (i + $6), $1, `+recipient+`, (SELECT current_version_id FROM message_templates WHERE id = $2), $3, $4,
				CASE WHEN $3 IN ('delivered', 'opened', 'clicked', 'replied') THEN $4::timestamptz + interval '1 minute' END, 'x'
			FROM generate_series(1, $5::int) AS i`, channel, tpl, status, at, count, n)
		n += count
	}
	send(f.smsID, "sms", "delivered", 20, 25, 10)
	send(f.smsID, "sms", "delivered", 10, 27, 10)
	send(f.smsID, "sms", "dead", 10, 27, 11)
	send(f.smsID, "sms", "delivered", 9, 29, 10) // 1 March
	send(f.smsID, "sms", "replied", 1, 29, 11)
	send(f.smsID, "sms", "delivered", 5, 23, 23) // before the period
	send(f.emailID, "email", "delivered", 6, 26, 9)
	send(f.emailID, "email", "opened", 2, 26, 9)
	send(f.emailID, "email", "dead", 2, 28, 9)
	return f
}

func TestAnalyticsNumbersAndCharts(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}))
	f := seedAnalytics(t, e)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	resp, doc := b.get("/analytics?days=7")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /analytics = %d: %s", resp.StatusCode, text(doc, "body"))
	}
	if got := text(doc, `[data-testid="analytics-period"]`); !strings.HasPrefix(got, "2026-02-24 to 2026-03-02 · per day") ||
		!strings.Contains(got, "flagged after 50 sends when under 5% of delivered emails are opened, or under 90% of SMS") {
		t.Errorf("period = %q, want the dates and the default thresholds", got)
	}
	rows := doc.Find(`[data-testid="stats-row"]`)
	if rows.Length() != 2 {
		t.Fatalf("rows = %d, want 2", rows.Length())
	}
	cell := func(row *goquery.Selection, id string) string {
		return strings.Join(strings.Fields(row.Find(`[data-testid="`+id+`"]`).Text()), " ")
	}
	sms, email := rows.Eq(0), rows.Eq(1)
	if got, _ := sms.Attr("data-template"); got != f.smsKey+"/en/sms/v1" {
		t.Errorf("first row = %q, want the underperforming SMS template first", got)
	}
	for id, want := range map[string]string{"sent": "50", "delivered": "40 80.0%", "failed": "10 20.0%", "opened": "n/a",
		"replied": "1 2.5%", "opted-out": "0 0.0%"} {
		if got := cell(sms, id); got != want {
			t.Errorf("sms %s = %q, want %q", id, got, want)
		}
	}
	if got := cell(sms, "why"); !strings.Contains(got, "40 of 50 SMS delivered (80.0%), under 90%") {
		t.Errorf("sms flag = %q, want the numbers", got)
	}
	for id, want := range map[string]string{"sent": "10", "delivered": "8 80.0%", "failed": "2 20.0%", "opened": "2 25.0%",
		"clicked": "0 0.0%", "flag": ""} {
		if got := cell(email, id); got != want {
			t.Errorf("email %s = %q, want %q", id, got, want)
		}
	}
	if got := text(doc, `[data-testid="flagged-count"]`); !strings.HasPrefix(got, "1 underperforming") {
		t.Errorf("flagged count = %q", got)
	}

	// Charts: the flagged template first; one dot per day that had
	// something to divide by; a data table row per day of the period.
	charts := doc.Find(`figure.chart`)
	if charts.Length() != 2 {
		t.Fatalf("charts = %d, want 2", charts.Length())
	}
	if id, _ := charts.Eq(0).Attr("data-testid"); id != "chart-"+itoa(f.smsID)+"-sms" {
		t.Errorf("first chart = %q, want the SMS template", id)
	}
	points := map[string]map[string]int{
		"chart-" + itoa(f.smsID) + "-sms":     {"Delivery rate": 3, "Reply rate": 3},
		"chart-" + itoa(f.emailID) + "-email": {"Delivery rate": 2, "Open rate": 1, "Click rate": 1},
	}
	charts.Each(func(_ int, c *goquery.Selection) {
		id, _ := c.Attr("data-testid")
		want := points[id]
		series := c.Find(`svg [data-testid="series"]`)
		if series.Length() != len(want) {
			t.Errorf("%s has %d series, want %d", id, series.Length(), len(want))
		}
		series.Each(func(_ int, s *goquery.Selection) {
			name, _ := s.Attr("data-name")
			if got := s.Find(`circle[data-testid="point"]`).Length(); got != want[name] {
				t.Errorf("%s %s: %d points, want %d", id, name, got, want[name])
			}
			pl := s.Find("polyline")
			if want[name] > 1 {
				pts, _ := pl.Attr("points")
				if got := len(strings.Fields(pts)); got != want[name] {
					t.Errorf("%s %s: line through %d points, want %d", id, name, got, want[name])
				}
			} else if pl.Length() != 0 {
				t.Errorf("%s %s: a line through a single point", id, name)
			}
		})
		if got := c.Find(`[data-testid="chart-table"] tbody tr`).Length(); got != 7 {
			t.Errorf("%s data table rows = %d, want 7 days", id, got)
		}
		labelled, _ := c.Find("svg").Attr("aria-labelledby")
		if c.Find("svg > title").Length() != 1 || c.Find("svg > desc").Length() != 1 || !strings.Contains(labelled, "cd-") {
			t.Errorf("%s lacks an accessible title and description", id)
		}
	})
	if got := text(doc, `[data-testid="chart-`+itoa(f.smsID)+`-sms"] svg > desc`); !strings.Contains(got, "50 messages sent over 7 buckets") ||
		!strings.Contains(got, "Delivery rate between 50.0% and 100.0%, latest 100.0%") {
		t.Errorf("sms chart description = %q", got)
	}

	// The template list flags the same template.
	_, doc = b.get("/templates")
	if got := doc.Find(`[data-testid="underperforming-` + f.smsKey + `-sms-en"]`).Length(); got != 1 {
		t.Errorf("underperforming badges on %s sms = %d, want 1", f.smsKey, got)
	}
	if got := doc.Find(`[data-testid^="underperforming-"]`).Length(); got != 1 {
		t.Errorf("underperforming badges = %d, want only the SMS template's", got)
	}
}

func TestAnalyticsPeriods(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}))
	f := seedAnalytics(t, e)
	b := e.browser()
	b.signIn("Olga", "ops")
	// One day by dates: only the 27th's 20 SMS, not enough to flag.
	_, doc := b.get("/analytics?from=2026-02-27&to=2026-02-27")
	rows := doc.Find(`[data-testid="stats-row"]`)
	if rows.Length() != 1 || text(doc, `[data-testid="stats-row"] [data-testid="sent"]`) != "20" {
		t.Errorf("27 Feb: %d rows, sent %q; want the SMS template's 20", rows.Length(), text(doc, `[data-testid="sent"]`))
	}
	if got := text(doc, `[data-testid="flag"]`); got != "" {
		t.Errorf("20 sends flagged: %q", got)
	}
	if v, _ := doc.Find(`#an-from`).Attr("value"); v != "2026-02-27" {
		t.Errorf("from field = %q, want the period shown back", v)
	}
	_, doc = b.get("/analytics?days=90")
	if got := text(doc, `[data-testid="analytics-period"]`); !strings.Contains(got, "per week") {
		t.Errorf("90 days = %q, want weekly buckets", got)
	}
	if got := doc.Find(`[data-testid="chart-` + itoa(f.smsID) + `-sms"] [data-testid="chart-table"] tbody tr`).Length(); got != 14 {
		t.Errorf("90 days in weeks = %d rows, want 14", got)
	}
	for _, tt := range []struct{ query, field string }{
		{"days=5", "days"},
		{"from=2026-02-30", "from"},
		{"from=2026-03-01&to=2026-02-01", "from"},
		{"to=2026-03-01", "from"},
		{"from=2020-01-01", "from"},
		{"days=7&bucket=month", "bucket"},
	} {
		resp, doc := b.get("/analytics?" + tt.query)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s = %d, want 400", tt.query, resp.StatusCode)
		}
		if got := text(doc, `[data-testid="flash-error"]`); !strings.HasPrefix(got, tt.field+":") {
			t.Errorf("%s: error %q, want it to name %s", tt.query, got, tt.field)
		}
		if doc.Find(`[data-testid="analytics-form"]`).Length() != 1 || doc.Find(`[data-testid="analytics-table"]`).Length() != 0 {
			t.Errorf("%s: want the form again and no numbers", tt.query)
		}
	}
}

// TestAnalyticsConfiguredThresholds: the firm's thresholds decide the flag
// and the screen says which are in force.
func TestAnalyticsConfiguredThresholds(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}, func(c *engagement.Config) { c.MinSends, c.MinDeliveryRate = 60, 0.75 }))
	seedAnalytics(t, e)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	_, doc := b.get("/analytics?days=7")
	if got := text(doc, `[data-testid="analytics-period"]`); !strings.Contains(got, "flagged after 60 sends when under 5% of delivered emails are opened, or under 75% of SMS") {
		t.Errorf("period = %q, want the configured thresholds", got)
	}
	if n := doc.Find(`[data-testid="why"]`).Length(); n != 0 {
		t.Errorf("%d flagged with 50 sends under a 60-send threshold, want none", n)
	}
}

func TestAnalyticsEmpty(t *testing.T) {
	var svc *engagement.Service
	e := newPortal(t, withEngagement(t, &svc, &wakeLog{}))
	b := e.browser()
	b.signIn("Ada", "admin")
	resp, doc := b.get("/analytics")
	if resp.StatusCode != http.StatusOK || doc.Find(`[data-testid="analytics-empty"]`).Length() != 1 {
		t.Errorf("no messages: %d, empty state %d", resp.StatusCode, doc.Find(`[data-testid="analytics-empty"]`).Length())
	}
	if doc.Find(`[data-testid="nav-analytics"]`).Length() != 1 {
		t.Error("analytics is not in the navigation")
	}
}
