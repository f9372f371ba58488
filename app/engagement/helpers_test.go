package engagement_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/delivery/sendgrid"
	"github.com/heraldhq/herald/app/delivery/twilio"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

// t0 is Monday 2 March 2026, 09:00 in Chicago: inside the SMS window.
var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

const (
	phone = "+13125550134"
	email = "ana@example.com"
)

type recorder struct {
	mu  sync.Mutex
	ids []int64
}

func (r *recorder) EnqueueMessage(_ context.Context, id int64, _ int, _ time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids = append(r.ids, id)
	return nil
}

// env is engagement and delivery over a real database, with the real
// SendGrid and Twilio SDKs pointed at the local fakes.
type env struct {
	db       *store.DB
	clk      *clock.Fake
	ledger   *ledger.Store
	consent  *consent.Store
	pauses   *pause.Service
	delivery *delivery.Service
	svc      *engagement.Service
	tw       *providertest.FakeTwilio
	sg       *providertest.FakeSendGrid
	enq      *recorder
	client   ledgertest.Client
	tpl      map[string]int64 // "key/channel" → template version id
}

func newEnv(t testing.TB, tweak ...func(*engagement.Config)) *env {
	t.Helper()
	db, _ := storetest.NewDB(t)
	e := &env{db: db, clk: clock.NewFake(t0), enq: &recorder{}, tpl: map[string]int64{}}
	e.ledger = ledger.New(db, e.clk)
	e.consent = consent.New(db, e.clk)
	e.pauses = pause.New(db, e.clk)
	e.tw = providertest.NewTwilio(t)
	e.sg = providertest.NewSendGrid(t)
	sg, err := sendgrid.New(sendgrid.Config{APIKey: providertest.SendGridAPIKey, BaseURL: e.sg.URL,
		FromEmail: "updates@firm.test", Now: e.clk.Now, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tw, err := twilio.New(twilio.Config{AccountSID: e.tw.AccountSID, AuthToken: e.tw.AuthToken, FromNumber: "+13125550100",
		BaseURL: e.tw.URL, PublicURL: "https://herald.firm.test", Now: e.clk.Now, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	chicago, _ := time.LoadLocation("America/Chicago")
	e.delivery, err = delivery.NewService(delivery.Deps{Ledger: e.ledger,
		Senders: map[string]delivery.Sender{delivery.ChannelEmail: sg, delivery.ChannelSMS: tw}, Lookup: tw,
		Pauses: e.pauses, Consent: e.consent, Reads: e.db.Pool, Enqueuer: e.enq, Clock: e.clk},
		delivery.Config{RetrySchedule: []time.Duration{time.Minute},
			Window: delivery.DefaultWindowPolicy(delivery.Window{Start: 8 * time.Hour, End: 21 * time.Hour}, chicago)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := engagement.Config{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100"}
	for _, f := range tweak {
		f(&cfg)
	}
	e.svc, err = engagement.New(engagement.Deps{DB: db, Ledger: e.ledger, Consent: e.consent, Pauses: e.pauses,
		Lookup: tw, Enqueuer: e.enq, Clock: e.clk}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.client = ledgertest.SeedClient(t, db, phone, email, "America/Chicago")
	e.exec(t, `INSERT INTO staff_users (email, name, role, cms_id) VALUES ('pat@firm.test', 'Pat Paralegal', 'paralegal', 'P-7')`)
	e.exec(t, `UPDATE cases SET paralegal_id = 'P-7', attorney_id = 'A-1', next_court_at = $2 WHERE id = $1`,
		e.client.CaseID, t0.Add(72*time.Hour))
	for _, k := range []string{"court_reminder_1d/sms", "court_reminder_1d/email", "satisfaction_checkin/sms", "welcome/email", "welcome/sms"} {
		e.template(t, k, "en", 1)
	}
	return e
}

// template creates template key/channel in language with a version and
// records its id under "key/channel" (suffixed "@lang vN" when not en v1).
func (e *env) template(t testing.TB, keyChannel, lang string, version int) int64 {
	t.Helper()
	key, channel, _ := strings.Cut(keyChannel, "/")
	var tid, vid int64
	err := e.db.Pool.QueryRow(context.Background(), `INSERT INTO message_templates (key, language, channel, name)
		VALUES ($1, $2, $3, $1) ON CONFLICT (key, language, channel) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
		key, lang, channel).Scan(&tid)
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.Pool.QueryRow(context.Background(), `INSERT INTO template_versions (template_id, version, body_sms, created_by)
		VALUES ($1, $2, 'x', 'test') RETURNING id`, tid, version).Scan(&vid)
	if err != nil {
		t.Fatal(err)
	}
	name := keyChannel
	if lang != "en" || version != 1 {
		name = fmt.Sprintf("%s@%s v%d", keyChannel, lang, version)
	}
	e.tpl[name] = vid
	return vid
}

func (e *env) exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := e.db.Pool.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// count returns the single integer q selects.
func (e *env) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// send inserts a message to the seeded client through the ledger and
// delivers it through the real SDK and the fake provider. tpl is a key of
// e.tpl or "".
func (e *env) send(t testing.TB, channel, tpl string, m ledger.NewMessage) int64 {
	t.Helper()
	m.Channel = channel
	if m.CaseID == nil {
		m.CaseID = &e.client.CaseID
	}
	if m.ClientID == nil {
		m.ClientID = &e.client.ClientID
	}
	if m.Recipient == "" {
		m.Recipient = map[string]string{"sms": phone, "email": email}[channel]
	}
	if channel == "email" {
		m.Subject, m.BodyHTML = "Your case", "<p>An update.</p>"
	}
	if tpl != "" {
		v, ok := e.tpl[tpl]
		if !ok {
			t.Fatalf("no template %s", tpl)
		}
		m.TemplateVersionID = &v
	}
	m.DueAt = e.clk.Now()
	id := ledgertest.Message(t, e.db, m)
	if err := e.delivery.Deliver(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) msg(t testing.TB, id int64) ledger.Message {
	t.Helper()
	m, err := e.ledger.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// reminder creates a court-date reminder row for the seeded case's next
// court date and returns its id; messages keyed "rem:<id>:..." belong to it.
func (e *env) reminder(t testing.TB) int64 {
	t.Helper()
	ctx := context.Background()
	var ruleID, id int64
	err := e.db.Pool.QueryRow(ctx, `INSERT INTO rules (key, name, trigger, date_field, offset_minutes)
		VALUES ('court_reminder_1d', 'Court reminder', 'date_reminder', 'next_court_date', 1440)
		ON CONFLICT (key) DO UPDATE SET name = EXCLUDED.name RETURNING id`).Scan(&ruleID)
	if err != nil {
		t.Fatal(err)
	}
	err = e.db.Pool.QueryRow(ctx, `INSERT INTO reminders (case_id, rule_id, date_field, target_at, due_at, status)
		SELECT id, $2, 'next_court_date', next_court_at, next_court_at - interval '1 day', 'fired' FROM cases WHERE id = $1
		RETURNING id`, e.client.CaseID, ruleID).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func ledgerMsg() ledger.NewMessage { return ledger.NewMessage{} }
