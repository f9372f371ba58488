package rules_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// wakeups records EnqueueMessage calls.
type wakeups struct {
	mu  sync.Mutex
	ids []int64
}

func (w *wakeups) EnqueueMessage(_ context.Context, id int64, _ int, _ time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ids = append(w.ids, id)
	return nil
}

type env struct {
	t       *testing.T
	db      *store.DB
	clk     *clock.Fake
	cases   *cases.Service
	pauses  *pause.Service
	optOuts *consent.Store
	planner *rules.Planner
	wake    *wakeups
	events  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	clk := clock.NewFake(t0)
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := content.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := rules.Seed(ctx, db, config.RulesYAML); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`,
		`INSERT INTO staff_users (email, name, role, cms_id) VALUES ('ann@firm.test', 'Ann Attorney', 'attorney', 'att-7')`,
	} {
		if _, err := db.Pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	engine := render.New(render.Options{Now: clk.Now, FirmLocation: time.UTC})
	e := &env{t: t, db: db, clk: clk, cases: cases.New(db, clk, time.UTC), pauses: pause.New(db, clk),
		optOuts: consent.New(db, clk), wake: &wakeups{}}
	e.planner = rules.NewPlanner(rules.Deps{
		DB: db, Clock: clk,
		Config: rules.Config{SettleDelay: 10 * time.Minute, FirmName: "Herald Demo Law", FirmPhone: "+1 312 555 0100",
			PortalURL: "https://herald.test", DefaultLang: "en", FirmLocation: time.UTC},
		Pauses: e.pauses, OptOuts: e.optOuts, Templates: content.New(db, engine, clk, "en"), Engine: engine,
		Cases: e.cases, Enqueue: e.wake,
	})
	return e
}

func sp(s string) *string { return &s }

// maria is the canonical case used throughout: status and court date vary.
func maria(status string, court *sanitize.Date) normalize.Case {
	return normalize.Case{
		CaseID: "M-1", ClientID: sp("cl-1"), CaseNumber: sp("2026-001"), Status: sp(status), AttorneyID: sp("att-7"),
		Client: normalize.Client{FirstName: sp("Maria"), LastName: sp("Lopez"), Email: sp("maria@example.com"),
			MobilePhone: sp("+13125550134"), Timezone: sp("America/Chicago")},
		Dates: normalize.Dates{NextCourtDate: court},
	}
}

func day(y int, m time.Month, d int) *sanitize.Date {
	return &sanitize.Date{Time: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), DateOnly: true}
}

// apply stores nc as a new inbound event and case version and returns the change.
func (e *env) apply(nc normalize.Case) cases.Change {
	e.t.Helper()
	ctx := context.Background()
	e.events++
	var id int64
	if err := e.db.Pool.QueryRow(ctx, `INSERT INTO inbound_events (source, event_id, body) VALUES ('generic', $1, '{}') RETURNING id`,
		fmt.Sprintf("e%d", e.events)).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	at := e.clk.Now()
	ch, err := e.cases.Apply(ctx, "generic", id, nc, &at)
	if err != nil {
		e.t.Fatalf("Apply: %v", err)
	}
	return ch
}

func (e *env) plan(ch cases.Change) {
	e.t.Helper()
	if err := e.planner.Plan(context.Background(), ch); err != nil {
		e.t.Fatalf("Plan: %v", err)
	}
}

// rows returns query results as "a|b|c" strings.
func (e *env) rows(q string, args ...any) []string {
	e.t.Helper()
	rs, err := e.db.Pool.Query(context.Background(), q, args...)
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		vals, err := rs.Values()
		if err != nil {
			e.t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format("2006-01-02T15:04")
			}
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func (e *env) count(table string) int {
	var n int
	e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	return n
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func TestPlanSettlementOfferIsIdempotent(t *testing.T) {
	e := newEnv(t)
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.clk.Advance(time.Hour)
	ch := e.apply(maria("settlement_offer_received", nil))
	e.plan(ch)
	e.plan(ch) // a retried job

	msgs := e.rows(`SELECT m.channel, m.recipient, m.status, m.due_at, m.kind, r.key, m.template_version_id IS NOT NULL
		FROM messages m JOIN rules r ON r.id = m.rule_id WHERE m.inbound_event_id = $1 ORDER BY m.channel`, ch.InboundEventID)
	due := t0.Add(time.Hour + 10*time.Minute).Format("2006-01-02T15:04")
	eq(t, "settlement messages", msgs, []string{
		"email|maria@example.com|scheduled|" + due + "|rule|settlement_offer|true",
		"sms|+13125550134|scheduled|" + due + "|rule|settlement_offer|true",
	})
	var sms string
	e.db.Pool.QueryRow(context.Background(), `SELECT body_text FROM messages WHERE channel = 'sms' AND inbound_event_id = $1`, ch.InboundEventID).Scan(&sms)
	if !strings.HasPrefix(sms, "We have received a settlement offer.") || !strings.Contains(sms, "Ann Attorney") {
		t.Errorf("sms body = %q, want the settlement text naming Ann Attorney", sms)
	}
	eq(t, "tasks", e.rows(`SELECT t.title, t.kind, u.name FROM staff_tasks t JOIN staff_users u ON u.id = t.assignee_staff_id`),
		[]string{"Follow up with client on offer.|follow_up|Ann Attorney"})
	eq(t, "decisions for the event", e.rows(`SELECT rule_key, result FROM rule_decisions WHERE inbound_event_id = $1 ORDER BY id`, ch.InboundEventID),
		[]string{"settlement_offer|fired"})
	if got := len(e.rows(`SELECT 1 FROM messages`)); got != 3 {
		t.Errorf("messages = %d, want 3 (discovery email + 2 settlement)", got)
	}
	if len(e.wake.ids) != 3 {
		t.Errorf("wake-ups = %v, want one per new message (3)", e.wake.ids)
	}
}

func TestPausedCaseGetsOnlyASkippedDecision(t *testing.T) {
	for _, scope := range []string{"case", "firm", "cms"} {
		t.Run(scope, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			first := e.apply(maria("discovery_initiated", nil))
			nc := maria("settlement_offer_received", day(2026, 3, 20))
			switch scope {
			case "case":
				if _, err := e.pauses.Pause(ctx, pause.Request{Scope: pause.ScopeCase, CaseID: first.CaseID, Reason: "client in hospital", Actor: "ann"}); err != nil {
					t.Fatal(err)
				}
			case "firm":
				if _, err := e.pauses.Pause(ctx, pause.Request{Scope: pause.ScopeFirm, Reason: "template bug", Actor: "ops"}); err != nil {
					t.Fatal(err)
				}
			case "cms":
				paused := true
				nc.IsAutomationPaused = &paused
			}
			ch := e.apply(nc)
			e.plan(ch)
			got := e.rows(`SELECT result, actor FROM rule_decisions WHERE inbound_event_id = $1`, ch.InboundEventID)
			if len(got) != 1 || !strings.HasPrefix(got[0], "skipped_paused|") {
				t.Errorf("decisions = %q, want exactly one skipped_paused", got)
			}
			if n := e.count("messages"); n != 0 {
				t.Errorf("messages = %d, want none", n)
			}
			if n := e.count("staff_tasks"); n != 0 {
				t.Errorf("tasks = %d, want none", n)
			}
		})
	}
}

func TestSettleWindowCancelsOnFlap(t *testing.T) {
	e := newEnv(t)
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.clk.Advance(time.Hour)
	offer := e.apply(maria("settlement_offer_received", nil))
	e.plan(offer)
	e.clk.Advance(3 * time.Minute) // inside the 10-minute settle window
	back := e.apply(maria("discovery_initiated", nil))
	e.plan(back)

	eq(t, "settlement messages after the flap", e.rows(`SELECT channel, status FROM messages WHERE inbound_event_id = $1 ORDER BY channel`, offer.InboundEventID),
		[]string{"email|cancelled", "sms|cancelled"})
	eq(t, "decisions of the flap", e.rows(`SELECT rule_key, result FROM rule_decisions WHERE inbound_event_id = $1 ORDER BY result, id`, back.InboundEventID),
		[]string{"settlement_offer|cancelled_settle", "settlement_offer|cancelled_settle", "discovery_explainer|fired"})
	// The first discovery email was due long ago (outside its window): untouched.
	eq(t, "first discovery email", e.rows(`SELECT status FROM messages WHERE inbound_event_id = 1`), []string{"scheduled"})
}

func TestRenderErrorAndPrivilegeGuard(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tpls := content.New(e.db, render.New(render.Options{Now: e.clk.Now}), e.clk, "en")
	sms, err := tpls.Current(ctx, "settlement_offer", "en", "sms")
	if err != nil {
		t.Fatal(err)
	}
	// An amount in an SMS is privileged: the message must wait for approval.
	if _, _, err := tpls.Save(ctx, sms.ID, content.TemplateDraft{SMS: "Offer of $25,000 received, {{ client_first_name }}."}, "ann"); err != nil {
		t.Fatal(err)
	}
	// A court reminder template used for the welcome: no court date → missing value.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE rules SET actions = '[{"type":"send","template":"court_reminder_7d","channels":["email"]}]' WHERE key = 'welcome_on_intake'`); err != nil {
		t.Fatal(err)
	}
	e.plan(e.apply(maria("intake_complete", nil)))
	e.plan(e.apply(maria("settlement_offer_received", nil)))
	got := e.rows(`SELECT r.key, m.channel, m.status, m.dead_reason <> '', m.hold_reason LIKE 'privileged content (amount%', m.body_text = ''
		FROM messages m JOIN rules r ON r.id = m.rule_id ORDER BY m.id`)
	eq(t, "messages", got, []string{
		"welcome_on_intake|email|dead|true|false|true",
		"settlement_offer|sms|awaiting_approval|false|true|false",
		"settlement_offer|email|scheduled|false|false|false",
	})
	if len(e.wake.ids) != 1 {
		t.Errorf("wake-ups = %v, want only the scheduled email", e.wake.ids)
	}
}

func TestOptOutAtPlanning(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.optOuts.Record(ctx, nil, consent.Event{Channel: "sms", Address: "+13125550134", Action: consent.OptOut, Source: consent.SourceKeyword, Text: "STOP"}); err != nil {
		t.Fatal(err)
	}
	ch := e.apply(maria("settlement_offer_received", nil))
	e.plan(ch)
	eq(t, "decisions", e.rows(`SELECT rule_key, result, channel FROM rule_decisions WHERE inbound_event_id = $1 ORDER BY id`, ch.InboundEventID),
		[]string{"settlement_offer|fired|", "settlement_offer|skipped_opted_out|sms"})
	eq(t, "messages", e.rows(`SELECT channel FROM messages`), []string{"email"})
}

func TestSeedRulesIsIdempotent(t *testing.T) {
	e := newEnv(t)
	n, err := rules.Seed(context.Background(), e.db, config.RulesYAML)
	if err != nil || n != 0 {
		t.Errorf("second rules.Seed = %d, %v; want 0 new", n, err)
	}
	if got := e.count("rules"); got < 8 {
		t.Errorf("rules = %d, want the playbook", got)
	}
}
