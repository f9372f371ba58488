package engagement_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
)

// seedMessages inserts n messages of template tpl sent at sent, with the
// given final status, to distinct recipients prefix-numbered from first.
// It returns their ids.
func (e *env) seedMessages(t testing.TB, tpl, channel, status string, n, first int, sent time.Time) []int64 {
	t.Helper()
	vid, ok := e.tpl[tpl]
	if !ok {
		t.Fatalf("no template %s", tpl)
	}
	recipient := `'+1312555' || lpad(i::text, 4, '0')`
	if channel == "email" {
		recipient = `'c' || i || '@example.com'`
	}
	rows, err := e.db.Pool.Query(context.Background(), `INSERT INTO messages (idempotency_key, channel, recipient,
			template_version_id, status, sent_at, delivered_at, client_id, body_text)
		SELECT 'seed:' || $1::text || ':' || i, $2, `+recipient+`, $3, $4, $5,
		       CASE WHEN $4 IN ('delivered', 'opened', 'clicked', 'replied') THEN $5::timestamptz + interval '1 minute' END, $8, 'x'
		FROM generate_series($6::int, $6::int + $7::int - 1) AS i RETURNING id`,
		tpl+status+fmt.Sprint(first), channel, vid, status, sent, first, n, e.client.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func (e *env) seedEvent(t testing.TB, id int64, typ string, machine bool, n int) {
	t.Helper()
	e.exec(t, `INSERT INTO provider_events (provider, provider_event_id, message_id, event_type, machine_open)
		VALUES ('sendgrid', $1, $2, $3, $4)`, fmt.Sprintf("seed-%d-%s-%d", id, typ, n), id, typ, machine)
}

func TestTemplateAnalytics(t *testing.T) {
	e := newEnv(t)
	e.template(t, "welcome/email", "en", 2)
	day := t0.Add(-10 * 24 * time.Hour)
	from, to := t0.Add(-30*24*time.Hour), t0

	// welcome email v1: 60 sent, 2 hard bounces, 58 delivered; 2 human opens
	// (one of them clicked), 10 machine opens; 1 unsubscribed afterwards.
	delivered := e.seedMessages(t, "welcome/email", "email", "delivered", 56, 1, day)
	e.seedMessages(t, "welcome/email", "email", "dead", 2, 100, day)
	opened := e.seedMessages(t, "welcome/email", "email", "opened", 1, 200, day)
	clicked := e.seedMessages(t, "welcome/email", "email", "clicked", 1, 300, day)
	e.seedEvent(t, opened[0], "open", false, 0)
	e.seedEvent(t, clicked[0], "open", false, 0)
	e.seedEvent(t, clicked[0], "click", false, 0)
	for i := range 10 {
		e.seedEvent(t, delivered[i], "open", true, 0)
	}
	e.exec(t, `INSERT INTO consent_events (channel, address, action, source, created_at) VALUES ('email', 'c7@example.com', 'opt_out', 'unsubscribe_event', $1)`, day.Add(time.Hour))
	// An opt-out long before the message is not the message's doing.
	e.exec(t, `INSERT INTO consent_events (channel, address, action, source, created_at) VALUES ('email', 'c8@example.com', 'opt_out', 'staff', $1)`, day.Add(-time.Hour))
	// welcome email v2: 5 sent, all opened.
	e.seedMessages(t, "welcome/email@en v2", "email", "opened", 5, 1000, day)
	// court reminder email: 50 sent, 50 delivered, 10 opened: healthy.
	e.seedMessages(t, "court_reminder_1d/email", "email", "delivered", 40, 2000, day)
	e.seedMessages(t, "court_reminder_1d/email", "email", "opened", 10, 2100, day)
	// welcome SMS: 50 sent, 44 delivered (3 replied), 6 failed: 88% < 90%.
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 41, 1, day)
	e.seedMessages(t, "welcome/sms", "sms", "replied", 3, 100, day)
	e.seedMessages(t, "welcome/sms", "sms", "dead", 6, 200, day)
	// check-in SMS: 40 sent, 30 delivered: poor, but too few sends to judge.
	e.seedMessages(t, "satisfaction_checkin/sms", "sms", "delivered", 30, 3000, day)
	e.seedMessages(t, "satisfaction_checkin/sms", "sms", "dead", 10, 3100, day)
	// Outside the period, and never sent: not counted.
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 20, 5000, from.Add(-time.Hour))
	e.exec(t, `INSERT INTO messages (idempotency_key, channel, recipient, template_version_id, status) VALUES ('pending-1', 'sms', '+13125550001', $1, 'pending')`, e.tpl["welcome/sms"])

	got, err := e.svc.TemplateAnalytics(context.Background(), engagement.AnalyticsOptions{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		sent, delivered, failed, opened, clicked, replied, optedOut int
		openRate, deliveryRate                                      float64
		flagged                                                     bool
	}
	want := map[string]row{
		"court_reminder_1d/email v1":  {50, 50, 0, 10, 0, 0, 0, 0.2, 1, false},
		"satisfaction_checkin/sms v1": {40, 30, 10, 0, 0, 0, 0, 0, 0.75, false},
		"welcome/email v1":            {60, 58, 2, 2, 1, 0, 1, 2.0 / 58, 58.0 / 60, true},
		"welcome/email v2":            {5, 5, 0, 5, 0, 0, 0, 1, 1, false},
		"welcome/sms v1":              {50, 44, 6, 0, 0, 3, 0, 0, 0.88, true},
	}
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		name := fmt.Sprintf("%s/%s v%d", s.TemplateKey, s.Channel, s.Version)
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected row %s", name)
			continue
		}
		g := row{s.Sent, s.Delivered, s.Failed, s.Opened, s.Clicked, s.Replied, s.OptedOut, s.OpenRate, s.DeliveryRate, s.Underperforming}
		if g.sent != w.sent || g.delivered != w.delivered || g.failed != w.failed || g.opened != w.opened ||
			g.clicked != w.clicked || g.replied != w.replied || g.optedOut != w.optedOut || g.flagged != w.flagged ||
			math.Abs(g.openRate-w.openRate) > 1e-9 || math.Abs(g.deliveryRate-w.deliveryRate) > 1e-9 {
			t.Errorf("%s = %+v, want %+v", name, g, w)
		}
		if s.Underperforming && s.Why == "" {
			t.Errorf("%s is flagged without the numbers", name)
		}
	}

	// A lower threshold flags the check-in too.
	got, err = e.svc.TemplateAnalytics(context.Background(), engagement.AnalyticsOptions{From: from, To: to, MinSends: 40})
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, s := range got {
		if s.Underperforming {
			flagged = append(flagged, fmt.Sprintf("%s/%s v%d", s.TemplateKey, s.Channel, s.Version))
		}
	}
	if fmt.Sprint(flagged) != "[satisfaction_checkin/sms v1 welcome/email v1 welcome/sms v1]" {
		t.Errorf("flagged with MinSends 40 = %v", flagged)
	}
	// Thresholds configured for the service (HERALD_UNDERPERFORM_*) apply
	// when a call names none: 40 sends, 25% opens, 80% SMS delivery.
	tuned, err := engagement.New(engagement.Deps{DB: e.db, Ledger: e.ledger, Consent: e.consent, Pauses: e.pauses,
		Enqueuer: e.enq, Clock: e.clk}, engagement.Config{MinSends: 40, MinOpenRate: 0.25, MinDeliveryRate: 0.8})
	if err != nil {
		t.Fatal(err)
	}
	if th := tuned.Thresholds(); th.MinSends != 40 || th.MinOpenRate != 0.25 || th.MinDeliveryRate != 0.8 {
		t.Errorf("Thresholds() = %+v, want the configured ones", th)
	}
	got, err = tuned.TemplateAnalytics(context.Background(), engagement.AnalyticsOptions{From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	flagged = nil
	for _, s := range got {
		if s.Underperforming {
			flagged = append(flagged, fmt.Sprintf("%s/%s v%d", s.TemplateKey, s.Channel, s.Version))
		}
	}
	if fmt.Sprint(flagged) != "[court_reminder_1d/email v1 satisfaction_checkin/sms v1 welcome/email v1]" {
		t.Errorf("flagged with the configured thresholds = %v", flagged)
	}
	for _, bad := range []engagement.Config{{MinSends: -1}, {MinOpenRate: 1.5}, {MinDeliveryRate: -0.1}, {EscalateBefore: -time.Hour}} {
		if _, err := engagement.New(engagement.Deps{DB: e.db, Ledger: e.ledger, Consent: e.consent, Pauses: e.pauses,
			Enqueuer: e.enq, Clock: e.clk}, bad); err == nil || !strings.Contains(err.Error(), "HERALD_") {
			t.Errorf("New(%+v) = %v, want an error naming the variable", bad, err)
		}
	}
	if _, err := e.svc.TemplateAnalytics(context.Background(), engagement.AnalyticsOptions{From: to, To: from}); !errorsIs(err, derrors.InvalidArgument) {
		t.Errorf("from after to: %v, want InvalidArgument", err)
	}
}

func TestClientEngagementChannels(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.send(t, "sms", "welcome/sms", ledgerMsg())
	ce, err := e.svc.ClientEngagement(ctx, e.client.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(ce); got != "sms=untested email=untested" {
		t.Errorf("before any delivery: %s", got)
	}
	sms := e.send(t, "sms", "welcome/sms", ledgerMsg())
	e.status(t, sms, e.msg(t, sms).ProviderMessageID, "delivered", "")
	mail := e.send(t, "email", "welcome/email", ledgerMsg())
	e.sendgrid(t, sgEvent(mail, "b1", "bounce", map[string]any{"type": "bounce", "bounce_classification": "Invalid Address"}))
	ce, err = e.svc.ClientEngagement(ctx, e.client.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if got := states(ce); got != "sms=works email=invalid" || ce.LastSentAt == nil {
		t.Errorf("after delivery and bounce: %s, last sent %v", got, ce.LastSentAt)
	}
	e.inbound(t, "STOP", "")
	ce, _ = e.svc.ClientEngagement(ctx, e.client.ClientID)
	if got := states(ce); got != "sms=opted_out email=invalid" {
		t.Errorf("after STOP: %s", got)
	}
	if _, err := e.svc.ClientEngagement(ctx, 999999); !errorsIs(err, derrors.NotFound) {
		t.Errorf("unknown client: %v, want NotFound", err)
	}
}

func states(ce engagement.ClientEngagement) string {
	s := ""
	for i, c := range ce.Channels {
		if i > 0 {
			s += " "
		}
		s += c.Channel + "=" + c.State
	}
	return s
}
