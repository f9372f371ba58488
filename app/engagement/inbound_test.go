package engagement_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
)

var sidN int

// inbound applies an inbound SMS from the seeded client's phone.
func (e *env) inbound(t testing.TB, body, optOutType string) engagement.InboundResult {
	t.Helper()
	sidN++
	return e.inboundSID(t, fmt.Sprintf("SMin%06d", sidN), phone, body, optOutType)
}

func (e *env) inboundSID(t testing.TB, sid, from, body, optOutType string) engagement.InboundResult {
	t.Helper()
	r, err := e.svc.HandleInbound(context.Background(), engagement.InboundSMS{MessageSid: sid, From: from,
		To: "+13125550100", Body: body, OptOutType: optOutType})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (e *env) optedOut(t testing.TB) bool {
	t.Helper()
	out, err := e.consent.IsOptedOut(context.Background(), "sms", phone)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestInboundKeywords(t *testing.T) {
	tests := []struct {
		body, optOutType string
		heraldReplies    bool
		wantOut          bool
		wantReply        string
	}{
		{"STOP", "", false, true, ""}, // Twilio answers the keyword itself
		{"stopall", "", false, true, ""},
		{"UNSUBSCRIBE", "", false, true, ""},
		{"cancel", "", false, true, ""},
		{"END", "", false, true, ""},
		{"Quit", "", false, true, ""},
		{"REVOKE", "", false, true, ""},
		{"OPTOUT", "", false, true, ""},
		{"arrêt", "STOP", false, true, ""}, // a custom Advanced Opt-Out keyword
		{"STOP", "", true, true, "no longer receive"},
		{"HELP", "", false, false, ""}, // Twilio's keyword handling answers
		{"info", "", false, false, ""},
		{"HELP", "", true, false, "for help call +1 312 555 0100"},
		{"info", "", true, false, "for help call"},
		{"HELP", "HELP", true, false, ""}, // Advanced Opt-Out already sent the firm's help text
		{"STOP", "STOP", true, true, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/herald=%v", tt.body, tt.optOutType, tt.heraldReplies), func(t *testing.T) {
			e := newEnv(t, func(c *engagement.Config) { c.HeraldRepliesToKeywords = tt.heraldReplies })
			r := e.inbound(t, tt.body, tt.optOutType)
			if got := e.optedOut(t); got != tt.wantOut {
				t.Errorf("opted out = %v, want %v", got, tt.wantOut)
			}
			if (tt.wantReply == "") != (r.Reply == "") || !strings.Contains(r.Reply, tt.wantReply) {
				t.Errorf("reply = %q, want %q", r.Reply, tt.wantReply)
			}
			if tt.wantOut {
				if got := e.count(t, `SELECT count(*) FROM consent_events WHERE source = 'keyword' AND action = 'opt_out' AND text = $1 AND client_id = $2`, tt.body, e.client.ClientID); got != 1 {
					t.Errorf("keyword consent events with the exact text = %d, want 1", got)
				}
			}
			// A reply Herald sends is in the ledger as a sent confirmation.
			if got := e.count(t, `SELECT count(*) FROM messages WHERE kind = 'confirmation' AND status = 'sent'`); (got == 1) != (r.Reply != "") {
				t.Errorf("sent confirmation messages = %d for reply %q", got, r.Reply)
			}
		})
	}
}

// TestKeywordsAreAnsweredExactlyOnce checks, for every keyword and every way
// Twilio may be set up, that the client gets exactly one answer: Twilio's
// (Advanced Opt-Out, which sends OptOutType, or its default keyword
// handling) or Herald's TwiML, never both and never neither. A repeated
// STOP and a redelivered webhook get no second confirmation.
func TestKeywordsAreAnsweredExactlyOnce(t *testing.T) {
	setups := []struct {
		name          string
		heraldReplies bool // Twilio's own keyword handling is off
		advanced      bool // Twilio's Advanced Opt-Out sends OptOutType
	}{
		{"twilio default handling", false, false},
		{"twilio advanced opt-out", false, true},
		{"herald answers", true, false},
		{"herald answers, advanced opt-out on", true, true},
	}
	keywords := []struct{ body, optOutType string }{{"STOP", "STOP"}, {"START", "START"}, {"HELP", "HELP"}, {"INFO", "HELP"}}
	for _, su := range setups {
		t.Run(su.name, func(t *testing.T) {
			e := newEnv(t, func(c *engagement.Config) { c.HeraldRepliesToKeywords = su.heraldReplies })
			for _, k := range keywords {
				ot := ""
				if su.advanced {
					ot = k.optOutType
				}
				r := e.inbound(t, k.body, ot)
				// Twilio answers a keyword itself unless its handling is off and
				// Advanced Opt-Out did not recognise it.
				twilioAnswered := !su.heraldReplies || ot != ""
				if answers := btoi(twilioAnswered) + btoi(r.Reply != ""); answers != 1 {
					t.Errorf("%s (OptOutType %q): Twilio answered %v, Herald replied %q: %d answers, want exactly 1",
						k.body, ot, twilioAnswered, r.Reply, answers)
				}
			}
			// A second STOP while opted out and a redelivered webhook: no answer from Herald.
			e.inbound(t, "STOP", map[bool]string{true: "STOP"}[su.advanced])
			if r := e.inbound(t, "STOP", map[bool]string{true: "STOP"}[su.advanced]); r.Reply != "" {
				t.Errorf("second STOP: Herald replied %q, want nothing (one confirmation per opt-out)", r.Reply)
			}
			help := map[bool]string{true: "HELP"}[su.advanced]
			dup := e.inboundSID(t, "SMredelivered", phone, "HELP", help)
			if again := e.inboundSID(t, "SMredelivered", phone, "HELP", help); !again.Duplicate || again.Reply != "" {
				t.Errorf("redelivered webhook: %+v, want a duplicate with no reply (first %+v)", again, dup)
			}
			wantConfirmations := 0
			if su.heraldReplies && !su.advanced {
				wantConfirmations = 6 // STOP, START, HELP, INFO, the STOP after START, the redelivered HELP once
			}
			if got := e.count(t, `SELECT count(*) FROM messages WHERE kind = 'confirmation'`); got != wantConfirmations {
				t.Errorf("confirmation messages in the ledger = %d, want %d", got, wantConfirmations)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestStopBlocksLaterSMSAndStartRestores(t *testing.T) {
	e := newEnv(t)
	first := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	if e.msg(t, first).Status != ledger.StatusSent {
		t.Fatal("setup: the first SMS was not sent")
	}
	e.inbound(t, "STOP", "")
	later := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	if m := e.msg(t, later); m.Status != ledger.StatusCancelled || m.LastErrorCode != "opted_out" {
		t.Errorf("SMS after STOP: %s (%s), want cancelled (opted_out)", m.Status, m.LastErrorCode)
	}
	if got := len(e.tw.Sends()); got != 1 {
		t.Errorf("Twilio received %d messages, want 1: nothing after STOP", got)
	}
	// Email is a different channel: still allowed.
	if m := e.msg(t, e.send(t, "email", "welcome/email", ledger.NewMessage{})); m.Status != ledger.StatusSent {
		t.Errorf("email after SMS STOP: %s, want sent", m.Status)
	}
	e.inbound(t, "START", "")
	again := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	if m := e.msg(t, again); m.Status != ledger.StatusSent {
		t.Errorf("SMS after START: %s, want sent", m.Status)
	}
	if got := len(e.tw.Sends()); got != 2 {
		t.Errorf("Twilio received %d messages, want 2", got)
	}
}

func TestNaturalLanguageOptOutConfirmsOnce(t *testing.T) {
	e := newEnv(t)
	e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	r := e.inbound(t, "Please don't text me anymore", "")
	if r.Intent != engagement.IntentOptOut || !strings.Contains(r.Reply, "no longer receive text messages from us") {
		t.Fatalf("first: %+v, want an opt-out with one confirmation", r)
	}
	if !e.optedOut(t) {
		t.Fatal("not opted out")
	}
	for _, body := range []string{"stop texting me", "unsubscribe me", "STOP"} {
		if r := e.inbound(t, body, ""); r.Reply != "" {
			t.Errorf("%q after the opt-out: reply %q, want none (exactly one confirmation)", body, r.Reply)
		}
	}
	if got := e.count(t, `SELECT count(*) FROM messages WHERE kind = 'confirmation'`); got != 1 {
		t.Errorf("confirmation messages = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM consent_events WHERE source = 'natural_language' AND text = 'Please don''t text me anymore'`); got != 1 {
		t.Errorf("natural-language consent events with the exact words = %d, want 1", got)
	}
	// Staff are told, assigned to the case's paralegal.
	if got := e.count(t, `SELECT count(*) FROM staff_tasks t JOIN staff_users u ON u.id = t.assignee_staff_id
		WHERE t.kind = 'notify' AND t.title LIKE 'Client asked to stop%' AND u.cms_id = 'P-7'`); got != 3 {
		t.Errorf("opt-out tasks for the paralegal = %d, want 3 (one per natural-language message)", got)
	}
	// The confirmation was recorded as sent with an attempt, not left for delivery.
	var status string
	var attempts int
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT m.status, (SELECT count(*) FROM delivery_attempts a WHERE a.message_id = m.id AND a.outcome = 'sent')
		FROM messages m WHERE kind = 'confirmation'`).Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	if status != ledger.StatusSent || attempts != 1 {
		t.Errorf("confirmation %s with %d sent attempts, want sent with 1", status, attempts)
	}
}

func TestInboundDuplicateIsNoOp(t *testing.T) {
	e := newEnv(t)
	first := e.inboundSID(t, "SMdup", phone, "When is my hearing?", "")
	second := e.inboundSID(t, "SMdup", phone, "When is my hearing?", "")
	if first.Duplicate || !second.Duplicate {
		t.Errorf("duplicate flags = %v, %v; want false, true", first.Duplicate, second.Duplicate)
	}
	if got := e.count(t, `SELECT count(*) FROM staff_tasks`); got != 1 {
		t.Errorf("tasks = %d, want 1", got)
	}
}

func TestReplyLandsOnTimelineWithTask(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	r := e.inbound(t, "When is my hearing?", "")
	if r.Intent != engagement.IntentReply || r.Reply != "" {
		t.Fatalf("result %+v, want a reply with no automatic answer", r)
	}
	if got := e.msg(t, id).Status; got != ledger.StatusReplied {
		t.Errorf("answered message: %s, want replied", got)
	}
	var caseID int64
	var unread bool
	if err := e.db.Pool.QueryRow(ctx, `SELECT case_id, unread FROM inbound_messages WHERE id = $1`, r.InboundID).Scan(&caseID, &unread); err != nil {
		t.Fatal(err)
	}
	if caseID != e.client.CaseID || !unread {
		t.Errorf("inbound row case %d unread %v, want case %d unread", caseID, unread, e.client.CaseID)
	}
	if got := e.count(t, `SELECT count(*) FROM staff_tasks t JOIN staff_users u ON u.id = t.assignee_staff_id
		WHERE t.title = 'Client replied by text' AND t.body = 'When is my hearing?' AND u.cms_id = 'P-7' AND t.case_id = $1 AND t.message_id = $2`,
		e.client.CaseID, id); got != 1 {
		t.Errorf("reply tasks for the paralegal = %d, want 1", got)
	}
	tl, err := e.ledger.Timeline(ctx, e.client.ClientID, ledger.TimelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tl.Messages) != 1 || tl.Messages[0].Status != ledger.StatusReplied {
		t.Errorf("timeline messages = %+v, want the replied message", tl.Messages)
	}
	ce, err := e.svc.ClientEngagement(ctx, e.client.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if ce.Unread != 1 || len(ce.Inbound) != 1 || ce.Inbound[0].Body != "When is my hearing?" || ce.LastReplyAt == nil {
		t.Errorf("client engagement = %+v, want one unread reply", ce)
	}
	if n, err := e.svc.MarkRead(ctx, e.client.ClientID); err != nil || n != 1 {
		t.Errorf("MarkRead = %d, %v; want 1", n, err)
	}
	// A text from a number Herald does not know still reaches staff.
	u := e.inboundSID(t, "SMunknown", "+13125559999", "Hi, is this the law office?", "")
	if got := e.count(t, `SELECT count(*) FROM staff_tasks WHERE title = 'Text from an unknown number' AND client_id IS NULL`); got != 1 || u.Intent != engagement.IntentReply {
		t.Errorf("unknown number: %d tasks, intent %s; want 1 task, reply", got, u.Intent)
	}
}

func TestHearingConfirmation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rid := e.reminder(t)
	rem := e.send(t, "sms", "court_reminder_1d/sms", ledger.NewMessage{Kind: "reminder",
		IdempotencyKey: fmt.Sprintf("rem:%d:court_reminder_1d:sms:%s", rid, phone)})
	r := e.inbound(t, "C", "")
	if r.Intent != engagement.IntentConfirm || !strings.Contains(r.Reply, "court date is confirmed") {
		t.Fatalf("result %+v, want a confirmation with an acknowledgement", r)
	}
	if got := e.count(t, `SELECT count(*) FROM cases WHERE id = $1 AND hearing_confirmed_at = $2`, e.client.CaseID, t0); got != 1 {
		t.Error("hearing_confirmed_at not set to the reply time")
	}
	if got := e.msg(t, rem).Status; got != ledger.StatusReplied {
		t.Errorf("reminder: %s, want replied", got)
	}
	if got := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'hearing.confirmed' AND target_id = $1`, fmt.Sprint(e.client.CaseID)); got != 1 {
		t.Errorf("hearing.confirmed audit rows = %d, want 1", got)
	}
	tl, err := e.ledger.Timeline(ctx, e.client.ClientID, ledger.TimelineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range tl.Messages {
		kinds = append(kinds, m.Kind+"/"+m.Status)
	}
	if fmt.Sprint(kinds) != "[confirmation/sent reminder/replied]" {
		t.Errorf("timeline messages = %v, want the acknowledgement and the replied reminder", kinds)
	}
	// A second C changes nothing on the case.
	e.clk.Advance(3600e9)
	e.inbound(t, "confirm", "")
	if got := e.count(t, `SELECT count(*) FROM cases WHERE id = $1 AND hearing_confirmed_at = $2`, e.client.CaseID, t0); got != 1 {
		t.Error("a second confirmation moved hearing_confirmed_at")
	}
}

func TestConfirmationWithoutReminderIsAReply(t *testing.T) {
	e := newEnv(t)
	e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	r := e.inbound(t, "C", "")
	if r.Intent != engagement.IntentReply || r.Reply != "" {
		t.Errorf("result %+v, want a plain reply", r)
	}
	if got := e.count(t, `SELECT count(*) FROM cases WHERE hearing_confirmed_at IS NOT NULL`); got != 0 {
		t.Error("a C with no court reminder confirmed a hearing")
	}
}

func TestConfirmationAcknowledgementRespectsPause(t *testing.T) {
	e := newEnv(t)
	rid := e.reminder(t)
	e.send(t, "sms", "court_reminder_1d/sms", ledger.NewMessage{Kind: "reminder",
		IdempotencyKey: fmt.Sprintf("rem:%d:court_reminder_1d:sms:%s", rid, phone)})
	e.exec(t, `INSERT INTO pauses (scope, case_id, reason, paused_by) VALUES ('case', $1, 'client in hospital', 'pat')`, e.client.CaseID)
	r := e.inbound(t, "C", "")
	if r.Intent != engagement.IntentConfirm || r.Reply != "" {
		t.Errorf("paused case: %+v, want confirmed without an automatic answer", r)
	}
}

func TestCheckinScores(t *testing.T) {
	tests := []struct {
		body      string
		wantScore int
		wantTask  bool
	}{
		{"3", 3, true},
		{"6", 6, true},
		{"7", 7, false},
		{"10/10", 10, false},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			e := newEnv(t)
			id := e.send(t, "sms", "satisfaction_checkin/sms", ledger.NewMessage{Kind: "checkin"})
			r := e.inbound(t, tt.body, "")
			if r.Intent != engagement.IntentScore {
				t.Fatalf("intent %s, want score", r.Intent)
			}
			if got := e.count(t, `SELECT score FROM checkin_responses WHERE case_id = $1 AND message_id = $2`, e.client.CaseID, id); got != tt.wantScore {
				t.Errorf("stored score = %d, want %d", got, tt.wantScore)
			}
			tasks := e.count(t, `SELECT count(*) FROM staff_tasks t JOIN staff_users u ON u.id = t.assignee_staff_id WHERE t.title LIKE 'Low satisfaction score%' AND u.cms_id = 'P-7'`)
			if (tasks == 1) != tt.wantTask {
				t.Errorf("low-score tasks = %d, want task %v", tasks, tt.wantTask)
			}
			if got := e.msg(t, id).Status; got != ledger.StatusReplied {
				t.Errorf("check-in: %s, want replied", got)
			}
		})
	}
	// A number with no check-in is a reply, not a score.
	e := newEnv(t)
	ledgertest.Message(t, e.db, ledger.NewMessage{Channel: "sms", Recipient: phone, ClientID: &e.client.ClientID})
	if r := e.inbound(t, "5", ""); r.Intent != engagement.IntentReply {
		t.Errorf("number without a check-in: %s, want reply", r.Intent)
	}
}
