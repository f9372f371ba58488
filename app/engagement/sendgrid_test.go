package engagement_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
)

// sgKey is a test signing key standing in for SendGrid's.
type sgKey struct {
	priv   *ecdsa.PrivateKey
	public string // base64 DER, as SendGrid shows it
}

func newSGKey(t testing.TB) sgKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return sgKey{priv: priv, public: base64.StdEncoding.EncodeToString(der)}
}

// sign returns the signature header for body at timestamp ts.
func (k sgKey) sign(t testing.TB, ts string, body []byte) string {
	t.Helper()
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.priv, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestSendGridVerify(t *testing.T) {
	key := newSGKey(t)
	clk := clock.NewFake(t0)
	v, err := engagement.NewSendGridVerifier(key.public, clk)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"email":"ana@example.com","event":"delivered","sg_event_id":"e1","timestamp":1772463600}]`)
	ts := strconv.FormatInt(t0.Unix(), 10)
	sig := key.sign(t, ts, body)

	// sendgrid-go's own helper agrees with the signature the test produced.
	pub, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(key.public)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := eventwebhook.VerifySignature(pub, body, sig, ts); err != nil || !ok {
		t.Fatalf("sendgrid-go VerifySignature = %v, %v; want true", ok, err)
	}
	tampered := []byte(`[{"email":"ana@example.com","event":"bounce","sg_event_id":"e1","timestamp":1772463600}]`)
	if ok, _ := eventwebhook.VerifySignature(pub, tampered, sig, ts); ok {
		t.Fatal("sendgrid-go accepts a tampered body; the test key is wrong")
	}
	old := strconv.FormatInt(t0.Add(-6*time.Minute).Unix(), 10)
	tests := []struct {
		name    string
		body    []byte
		sig, ts string
		wantErr bool
	}{
		{"valid", body, sig, ts, false},
		{"4 minutes old", body, key.sign(t, strconv.FormatInt(t0.Add(-4*time.Minute).Unix(), 10), body), strconv.FormatInt(t0.Add(-4*time.Minute).Unix(), 10), false},
		{"tampered body", tampered, sig, ts, true},
		{"timestamp swapped", body, sig, strconv.FormatInt(t0.Unix()+1, 10), true},
		{"old but correctly signed", body, key.sign(t, old, body), old, true},
		{"from the future", body, key.sign(t, strconv.FormatInt(t0.Add(10*time.Minute).Unix(), 10), body), strconv.FormatInt(t0.Add(10*time.Minute).Unix(), 10), true},
		{"unsigned", body, "", ts, true},
		{"no timestamp", body, sig, "", true},
		{"garbage signature", body, "bm90IGEgc2lnbmF0dXJl", ts, true},
		{"other key", body, newSGKey(t).sign(t, ts, body), ts, true},
	}
	for _, tt := range tests {
		err := v.Verify(tt.body, tt.sig, tt.ts)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: Verify = %v, want error %v", tt.name, err, tt.wantErr)
		}
		if err != nil && !errorsIs(err, derrors.Unauthorized) {
			t.Errorf("%s: error %v does not wrap Unauthorized", tt.name, err)
		}
	}
	if _, err := engagement.NewSendGridVerifier("not base64!", clk); err == nil {
		t.Error("NewSendGridVerifier accepted a malformed key")
	}
}

// sgEvent builds one SendGrid event for message id.
func sgEvent(id int64, eventID, event string, extra map[string]any) map[string]any {
	e := map[string]any{"email": email, "timestamp": t0.Unix(), "event": event, "sg_event_id": eventID,
		"sg_message_id": "x.filter0001", "herald_message_id": strconv.FormatInt(id, 10)}
	for k, v := range extra {
		e[k] = v
	}
	return e
}

func (e *env) sendgrid(t testing.TB, events ...map[string]any) engagement.BatchResult {
	t.Helper()
	b, _ := json.Marshal(events)
	parsed, err := engagement.ParseSendGridBatch(b)
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.svc.HandleSendGrid(context.Background(), parsed)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSendGridStatusesNeverRegress(t *testing.T) {
	e := newEnv(t)
	id := e.send(t, "email", "welcome/email", ledger.NewMessage{})
	if got := e.msg(t, id).Status; got != ledger.StatusSent {
		t.Fatalf("after send: %s, want sent", got)
	}
	steps := []struct {
		event  map[string]any
		want   string
		result engagement.BatchResult
	}{
		{sgEvent(id, "ev-open-machine", "open", map[string]any{"sg_machine_open": true}), ledger.StatusDelivered, engagement.BatchResult{Applied: 1}},
		{sgEvent(id, "ev-click", "click", map[string]any{"url": "https://firm.test/portal"}), ledger.StatusClicked, engagement.BatchResult{Applied: 1}},
		{sgEvent(id, "ev-open", "open", nil), ledger.StatusClicked, engagement.BatchResult{Applied: 1}},           // late open
		{sgEvent(id, "ev-delivered", "delivered", nil), ledger.StatusClicked, engagement.BatchResult{Applied: 1}}, // late delivered
		{sgEvent(id, "ev-processed", "processed", nil), ledger.StatusClicked, engagement.BatchResult{Applied: 1}},
		{sgEvent(id, "ev-click", "click", nil), ledger.StatusClicked, engagement.BatchResult{Duplicates: 1}},
		{sgEvent(id, "ev-bounce-late", "bounce", map[string]any{"type": "bounce", "bounce_classification": "Invalid Address"}), ledger.StatusClicked, engagement.BatchResult{Applied: 1}},
	}
	for i, s := range steps {
		if got := e.sendgrid(t, s.event); got != s.result {
			t.Errorf("step %d (%s): result %+v, want %+v", i, s.event["event"], got, s.result)
		}
		if got := e.msg(t, id).Status; got != s.want {
			t.Errorf("step %d (%s): status %s, want %s", i, s.event["event"], got, s.want)
		}
	}
	if got := e.count(t, `SELECT count(*) FROM provider_events WHERE message_id = $1 AND machine_open`, id); got != 1 {
		t.Errorf("machine opens stored = %d, want 1", got)
	}
	if got := e.count(t, `SELECT count(*) FROM provider_events WHERE message_id = $1`, id); got != 6 {
		t.Errorf("provider events stored = %d, want 6 (the duplicate is not stored)", got)
	}
}

func TestSendGridBounces(t *testing.T) {
	tests := []struct {
		name        string
		event       string
		extra       map[string]any
		wantStatus  string
		wantInvalid bool
	}{
		{"hard bounce", "bounce", map[string]any{"type": "bounce", "bounce_classification": "Invalid Address", "reason": "550 5.1.1 ana@example.com: user unknown"}, ledger.StatusDead, true},
		{"legacy bounce without classification", "bounce", map[string]any{"type": "bounce"}, ledger.StatusDead, true},
		{"soft: blocked", "bounce", map[string]any{"type": "blocked", "bounce_classification": "Reputation"}, ledger.StatusSent, false},
		{"soft: technical", "bounce", map[string]any{"type": "bounce", "bounce_classification": "Technical"}, ledger.StatusSent, false},
		{"deferred", "deferred", nil, ledger.StatusSent, false},
		{"dropped bounced address", "dropped", map[string]any{"reason": "Bounced Address"}, ledger.StatusDead, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.send(t, "email", "welcome/email", ledger.NewMessage{})
			e.sendgrid(t, sgEvent(id, "ev-1", tt.event, tt.extra))
			m := e.msg(t, id)
			if m.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", m.Status, tt.wantStatus)
			}
			if tt.wantStatus == ledger.StatusDead && (m.DeadReason == "" || m.SuggestedFix == "") {
				t.Errorf("dead without reason/fix: %q / %q", m.DeadReason, m.SuggestedFix)
			}
			invalid := e.count(t, `SELECT count(*) FROM clients WHERE id = $1 AND email_invalid`, e.client.ClientID) == 1
			findings := e.count(t, `SELECT count(*) FROM data_findings WHERE case_id = $1 AND code = 'email_bounced' AND field = 'client_email' AND resolved_at IS NULL`, e.client.CaseID)
			if invalid != tt.wantInvalid || (findings == 1) != tt.wantInvalid {
				t.Errorf("email_invalid = %v, open email_bounced findings = %d; want flagged %v", invalid, findings, tt.wantInvalid)
			}
		})
	}
}

func TestSendGridConsentEvents(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.send(t, "email", "welcome/email", ledger.NewMessage{})
	steps := []struct {
		event, eventID string
		wantOut        bool
		wantSource     string
	}{
		{"unsubscribe", "u1", true, consent.SourceUnsubscribeEvent},
		{"group_resubscribe", "r1", false, consent.SourceUnsubscribeEvent},
		{"spamreport", "s1", true, consent.SourceSpamReport},
		{"group_resubscribe", "r2", false, consent.SourceUnsubscribeEvent},
		{"group_unsubscribe", "g1", true, consent.SourceUnsubscribeEvent},
		{"group_unsubscribe", "g1", true, ""}, // duplicate: no second ledger row
	}
	for _, s := range steps {
		e.sendgrid(t, sgEvent(id, s.eventID, s.event, map[string]any{"email": "Ana@Example.com"}))
		out, err := e.consent.IsOptedOut(ctx, "email", email)
		if err != nil {
			t.Fatal(err)
		}
		if out != s.wantOut {
			t.Errorf("after %s: opted out = %v, want %v", s.event, out, s.wantOut)
		}
	}
	hist, err := e.consent.History(ctx, "email", email)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hist {
		got = append(got, h.Action+"/"+h.Source)
		if h.ClientID == nil || *h.ClientID != e.client.ClientID {
			t.Errorf("consent event %d not attached to the client", h.ID)
		}
	}
	want := "[opt_out/unsubscribe_event opt_in/unsubscribe_event opt_out/spamreport opt_in/unsubscribe_event opt_out/unsubscribe_event]"
	if fmt.Sprint(got) != want {
		t.Errorf("consent ledger = %v, want %s", got, want)
	}
}

func TestSendGridCorrelation(t *testing.T) {
	e := newEnv(t)
	id := e.send(t, "email", "welcome/email", ledger.NewMessage{})
	pid := e.msg(t, id).ProviderMessageID
	if pid == "" {
		t.Fatal("the fake gave no X-Message-Id")
	}
	// No custom arg: matched on sg_message_id's prefix.
	ev := sgEvent(0, "d1", "delivered", map[string]any{"sg_message_id": pid + ".filterdrecv-1.0"})
	delete(ev, "herald_message_id")
	r := e.sendgrid(t, ev)
	if r != (engagement.BatchResult{Applied: 1}) || e.msg(t, id).Status != ledger.StatusDelivered {
		t.Errorf("by sg_message_id: %+v, status %s; want applied and delivered", r, e.msg(t, id).Status)
	}
	// Unknown message: stored unmatched, not an error.
	r = e.sendgrid(t, sgEvent(999999, "d2", "delivered", map[string]any{"sg_message_id": "nope.1"}))
	if r != (engagement.BatchResult{Applied: 1, Unmatched: 1}) {
		t.Errorf("unknown message: %+v, want one unmatched", r)
	}
	if got := e.count(t, `SELECT count(*) FROM provider_events WHERE provider_event_id = 'd2' AND message_id IS NULL`); got != 1 {
		t.Errorf("unmatched events stored = %d, want 1", got)
	}
}
