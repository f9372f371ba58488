package command

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/delivery/providertest"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// TestDefaultPlaybookEndToEnd drives the shipped playbook (config/rules.yaml,
// templates/) the way production runs it: signed CMS webhooks into the HTTP
// server wired by build and services, processing by ingest, rules by the
// planner, and delivery through the real SendGrid and Twilio SDKs against
// the local fakes. Each status change sends what the firm's playbook says,
// once, even when the CMS repeats the webhook.
func TestDefaultPlaybookEndToEnd(t *testing.T) {
	_, dsn := storetest.NewDB(t)
	redisURL, _ := storetest.Redis(t)
	sg, tw := providertest.NewSendGrid(t), providertest.NewTwilio(t)
	const secret = "generic-webhook-secret"
	env := map[string]string{"HERALD_DATABASE_URL": dsn, "HERALD_REDIS_URL": redisURL, "HERALD_DELIVERY": "live",
		"SENDGRID_API_KEY": providertest.SendGridAPIKey, "SENDGRID_BASE_URL": sg.URL, "HERALD_EMAIL_FROM": "updates@firm.test",
		"TWILIO_ACCOUNT_SID": tw.AccountSID, "TWILIO_AUTH_TOKEN": tw.AuthToken, "TWILIO_FROM_NUMBER": "+13125550100",
		"TWILIO_BASE_URL": tw.URL, "HERALD_WEBHOOK_SECRET_GENERIC": secret, "HERALD_SETTLE_DELAY": "0s",
		"HERALD_SMS_WINDOW": "00:00-24:00", "HERALD_FIRM_NAME": "Lopez Law"}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	d, err := build(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for _, step := range seedSteps() {
		if _, err := step.run(ctx, d.db); err != nil {
			t.Fatalf("seed %s: %v", step.name, err)
		}
	}
	app := web.New(web.Deps{Config: d.cfg, DB: d.db, Log: d.log, Metrics: d.metrics, Clock: d.clock, Services: services(d)})

	// post signs and posts one CMS event (twice when dup), processes it and
	// delivers every message it made due.
	n := 0
	post := func(status string, dup bool) {
		t.Helper()
		n++
		id := fmt.Sprintf("pb-evt-%d", n)
		body := fmt.Appendf(nil, `{"id":%q,"type":"case.updated","occurred_at":%q,"data":{"case_id":"PB-1","client_id":"CL-PB",`+
			`"current_attributes":{"status":%q,"case_number":"PI-2026-0042","client_first_name":"Ana","client_last_name":"Lopez",`+
			`"client_email":"ana@example.com","client_mobile_phone":"(312) 555-0134","preferred_language":"en",`+
			`"timezone":"America/Chicago","attorney_id":"ATT-7","paralegal_id":"PL-3"}}}`,
			id, time.Now().UTC().Add(time.Duration(n)*time.Second).Format(time.RFC3339Nano), status)
		for range map[bool]int{false: 1, true: 2}[dup] {
			req := httptest.NewRequest("POST", "/webhooks/cms/generic", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(ingest.SignatureHeader, ingest.Sign(secret, time.Now(), body))
			resp, err := app.Test(req, 10000)
			if err != nil || resp.StatusCode/100 != 2 {
				t.Fatalf("webhook %s: %v %v", status, resp.StatusCode, err)
			}
		}
		var evID int64
		if err := d.db.Pool.QueryRow(ctx, `SELECT id FROM inbound_events WHERE event_id = $1`, id).Scan(&evID); err != nil {
			t.Fatal(err)
		}
		for range 2 { // a redelivered task processes the event again: a no-op
			if _, err := d.app.ingest.Process(ctx, evID); err != nil {
				t.Fatalf("process %s: %v", status, err)
			}
		}
		rows, err := d.db.Pool.Query(ctx, `SELECT id FROM messages WHERE status IN ('pending', 'scheduled') AND due_at <= now()`)
		if err != nil {
			t.Fatal(err)
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			for range 2 { // and a duplicate delivery task sends nothing twice
				if err := d.app.delivery.Deliver(ctx, id); err != nil {
					t.Fatalf("deliver %d: %v", id, err)
				}
			}
		}
	}
	sent := func() (emails, sms []string) {
		for _, s := range sg.Sends() {
			emails = append(emails, s.Subject)
		}
		for _, s := range tw.Sends() {
			sms = append(sms, s.Body)
		}
		return emails, sms
	}

	post("Intake Complete", true)
	emails, sms := sent()
	if len(emails) != 1 || !strings.HasPrefix(emails[0], "Welcome to Lopez Law") || len(sms) != 0 {
		t.Fatalf("after intake: emails %q, sms %q; want one welcome email", emails, sms)
	}
	post("Discovery Initiated", false)
	if emails, _ = sent(); len(emails) != 2 {
		t.Fatalf("after discovery: emails %q, want the discovery explainer too", emails)
	}
	post("Settlement Offer Received", true)
	emails, sms = sent()
	if len(emails) != 3 || len(sms) != 1 || !strings.Contains(sms[0], "settlement offer") {
		t.Fatalf("after the offer: emails %q, sms %q; want one more email and one SMS about the offer", emails, sms)
	}
	if strings.Contains(sms[0], "$") {
		t.Errorf("the offer SMS %q carries an amount", sms[0])
	}
	var tasks int
	if err := d.db.Pool.QueryRow(ctx, `SELECT count(*) FROM staff_tasks WHERE title = 'Follow up with client on offer.'`).Scan(&tasks); err != nil || tasks != 1 {
		t.Errorf("offer follow-up tasks = %d (%v), want 1", tasks, err)
	}
	// A status no rule handles is logged for review, and sends nothing.
	post("Mediation Scheduled", false)
	if e2, s2 := sent(); len(e2) != 3 || len(s2) != 1 {
		t.Errorf("an unhandled status sent emails %q, sms %q", e2, s2)
	}
	var unhandled int
	if err := d.db.Pool.QueryRow(ctx, `SELECT count(*) FROM rule_decisions WHERE result LIKE '%unhandled%'`).Scan(&unhandled); err != nil || unhandled != 1 {
		t.Errorf("unhandled decisions = %d (%v), want 1", unhandled, err)
	}
	var ledger int
	if err := d.db.Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status IN ('sent', 'delivered')`).Scan(&ledger); err != nil || ledger != 4 {
		t.Errorf("sent ledger messages = %d (%v), want 4 (one row per message)", ledger, err)
	}
}
