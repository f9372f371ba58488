package engagement_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
)

// twilioSign computes X-Twilio-Signature as Twilio documents it: base64
// HMAC-SHA1 of the URL followed by the sorted POST parameters.
func twilioSign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestTwilioVerify(t *testing.T) {
	const token, public = "tok-123", "https://herald.firm.test"
	form := url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"delivered"}, "To": {phone}}
	path := "/webhooks/twilio/status?mid=12"
	sig := twilioSign(token, public+path, form)
	// twilio-go's validator agrees with the test's signature.
	rv := client.NewRequestValidator(token)
	if !rv.ValidateBody(public+path, []byte(form.Encode()), sig) {
		t.Fatal("twilio-go rejects the test signature")
	}
	v := engagement.NewTwilioVerifier(public+"/", token)
	tests := []struct {
		name, path, body, sig string
		wantErr               bool
	}{
		{"valid", path, form.Encode(), sig, false},
		{"other mid", "/webhooks/twilio/status?mid=13", form.Encode(), sig, true},
		{"tampered status", path, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"failed"}, "To": {phone}}.Encode(), sig, true},
		{"missing", path, form.Encode(), "", true},
		{"other token", path, form.Encode(), twilioSign("other", public+path, form), true},
	}
	for _, tt := range tests {
		err := v.Verify(tt.path, []byte(tt.body), tt.sig)
		if (err != nil) != tt.wantErr || (err != nil && !errorsIs(err, derrors.Forbidden)) {
			t.Errorf("%s: Verify = %v, want error %v (Forbidden)", tt.name, err, tt.wantErr)
		}
	}
	if err := engagement.NewTwilioVerifier(public, "").Verify(path, []byte(form.Encode()), twilioSign("", public+path, form)); err == nil {
		t.Error("an empty auth token verified a request")
	}
}

// status applies one status callback for message id with Twilio's SID.
func (e *env) status(t testing.TB, id int64, sid, status, code string) bool {
	t.Helper()
	q := url.Values{}
	if id > 0 {
		q.Set("mid", strconv.FormatInt(id, 10))
	}
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "To": {phone}, "AccountSid": {e.tw.AccountSID}}
	if code != "" {
		form.Set("ErrorCode", code)
	}
	st, err := engagement.ParseTwilioStatus(q, form)
	if err != nil {
		t.Fatal(err)
	}
	applied, err := e.svc.HandleStatus(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return applied
}

func TestTwilioStatusCallbacks(t *testing.T) {
	e := newEnv(t)
	id := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	sid := e.msg(t, id).ProviderMessageID
	steps := []struct {
		status      string
		wantApplied bool
		want        string
	}{
		{"queued", true, ledger.StatusSent},
		{"sent", true, ledger.StatusSent},
		{"delivered", true, ledger.StatusDelivered},
		{"sent", false, ledger.StatusDelivered},  // duplicate callback
		{"failed", true, ledger.StatusDelivered}, // nothing after delivered kills it
	}
	for _, s := range steps {
		if got := e.status(t, id, sid, s.status, ""); got != s.wantApplied {
			t.Errorf("%s: applied = %v, want %v", s.status, got, s.wantApplied)
		}
		if got := e.msg(t, id).Status; got != s.want {
			t.Errorf("after %s: %s, want %s", s.status, got, s.want)
		}
	}
}

func TestTwilioErrorCodes(t *testing.T) {
	tests := []struct {
		name, status, code string
		withMID            bool
		wantLandline       bool
		wantOptOut         bool
	}{
		{"landline", "undelivered", "30006", true, true, false},
		{"not mobile", "failed", "21614", true, true, false},
		{"opted out at the carrier", "failed", "21610", true, false, true},
		{"unreachable handset, matched by SID", "undelivered", "30003", false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			id := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
			sid := e.msg(t, id).ProviderMessageID
			mid := id
			if !tt.withMID {
				mid = 0
			}
			e.status(t, mid, sid, tt.status, tt.code)
			m := e.msg(t, id)
			_, reason, _ := delivery.CodeInfo(delivery.ProviderTwilio, tt.code)
			if m.Status != ledger.StatusDead || m.DeadReason != reason {
				t.Errorf("message %s %q, want dead %q", m.Status, m.DeadReason, reason)
			}
			landline := e.count(t, `SELECT count(*) FROM data_findings WHERE case_id = $1 AND code = 'landline' AND field = 'client_mobile_phone'`, e.client.CaseID) == 1
			if landline != tt.wantLandline {
				t.Errorf("landline finding = %v, want %v", landline, tt.wantLandline)
			}
			out, err := e.consent.IsOptedOut(ctx, "sms", phone)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.wantOptOut {
				t.Errorf("opted out = %v, want %v", out, tt.wantOptOut)
			}
			if tt.wantOptOut {
				if got := e.count(t, `SELECT count(*) FROM consent_events WHERE source = 'provider_error' AND client_id = $1`, e.client.ClientID); got != 1 {
					t.Errorf("provider_error consent events = %d, want 1", got)
				}
			}
		})
	}
}

func TestTwilioCallbackTeachesLostSID(t *testing.T) {
	e := newEnv(t)
	// A message whose send answer was lost: outcome_unknown, no SID.
	id := e.send(t, "sms", "welcome/sms", ledger.NewMessage{})
	e.exec(t, `UPDATE messages SET status = 'outcome_unknown', provider_message_id = NULL WHERE id = $1`, id)
	e.status(t, id, "SMlost0001", "delivered", "")
	m := e.msg(t, id)
	if m.ProviderMessageID != "SMlost0001" || m.Status != ledger.StatusDelivered {
		t.Errorf("after callback: sid %q status %s, want SMlost0001 delivered", m.ProviderMessageID, m.Status)
	}
}

func TestParseTwilioStatusRejects(t *testing.T) {
	tests := []struct {
		name  string
		query url.Values
		form  url.Values
	}{
		{"bad mid", url.Values{"mid": {"abc"}}, url.Values{"MessageSid": {"SM1"}, "MessageStatus": {"sent"}}},
		{"no sid", nil, url.Values{"MessageStatus": {"sent"}}},
		{"no status", nil, url.Values{"MessageSid": {"SM1"}}},
	}
	for _, tt := range tests {
		if _, err := engagement.ParseTwilioStatus(tt.query, tt.form); !errorsIs(err, derrors.InvalidArgument) {
			t.Errorf("%s: err = %v, want InvalidArgument", tt.name, err)
		}
	}
}
