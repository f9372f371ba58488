package web_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/twilio/twilio-go/client"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/ledger/ledgertest"
	"github.com/heraldhq/herald/app/pause"
	"github.com/heraldhq/herald/app/web"
)

const (
	engPhone    = "+13125550134"
	engEmail    = "ana@example.com"
	twilioToken = "twilio-auth-token"
	publicURL   = "https://herald.firm.test"
)

type nopEnqueuer struct{}

func (*nopEnqueuer) EnqueueMessage(context.Context, int64, int, time.Time) error { return nil }

// engagementApp is the Fiber app with the engagement routes over a real
// database, a client, and one sent SMS and one sent email.
type engagementApp struct {
	app            *fiber.App
	d              web.Deps
	clk            *clock.Fake
	key            *ecdsa.PrivateKey
	client         ledgertest.Client
	sms, email     int64
	token          string
	consent        *consent.Store
	sendgridHeader func(ts string, body []byte) string
}

func newEngagementApp(t *testing.T) *engagementApp {
	t.Helper()
	d := healthDeps(t, nil)
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	d.Clock = clk
	d.Config.PublicURL = publicURL
	led := ledger.New(d.DB, clk)
	e := &engagementApp{d: d, clk: clk, consent: consent.New(d.DB, clk)}
	svc, err := engagement.New(engagement.Deps{DB: d.DB, Ledger: led, Consent: e.consent, Pauses: pause.New(d.DB, clk),
		Enqueuer: &nopEnqueuer{}, Clock: clk}, engagement.Config{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100"})
	if err != nil {
		t.Fatal(err)
	}
	e.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&e.key.PublicKey)
	pub := base64.StdEncoding.EncodeToString(der)
	sgv, err := engagement.NewSendGridVerifier(pub, clk)
	if err != nil {
		t.Fatal(err)
	}
	e.sendgridHeader = func(ts string, body []byte) string {
		h := sha256.Sum256(append([]byte(ts), body...))
		sig, err := ecdsa.SignASN1(rand.Reader, e.key, h[:])
		if err != nil {
			t.Fatal(err)
		}
		s := base64.StdEncoding.EncodeToString(sig)
		// sendgrid-go's own helper must accept what the test signs.
		pk, _ := eventwebhook.ConvertPublicKeyBase64ToECDSA(pub)
		if ok, err := eventwebhook.VerifySignature(pk, body, s, ts); !ok || err != nil {
			t.Fatalf("sendgrid-go rejects the test signature: %v", err)
		}
		return s
	}
	d.Services = web.Services{SendGridEvents: svc, SendGridVerifier: sgv, TwilioWebhooks: svc,
		TwilioVerifier: engagement.NewTwilioVerifier(publicURL, twilioToken), ConsentExport: e.consent, Analytics: svc}
	e.app = web.New(d)
	e.d = d
	e.client = ledgertest.SeedClient(t, d.DB, engPhone, engEmail, "")
	for _, ch := range []string{"sms", "email"} {
		id := ledgertest.Message(t, d.DB, ledger.NewMessage{Channel: ch, Recipient: map[string]string{"sms": engPhone, "email": engEmail}[ch],
			CaseID: &e.client.CaseID, ClientID: &e.client.ClientID})
		c, err := led.Claim(ctx, id, clk.Now(), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := led.Finish(ctx, id, c.Attempt, ledger.Outcome{Status: ledger.StatusSent, At: clk.Now(),
			Provider: map[string]string{"sms": "twilio", "email": "sendgrid"}[ch], ProviderID: "P" + ch}); err != nil {
			t.Fatal(err)
		}
		if ch == "sms" {
			e.sms = id
		} else {
			e.email = id
		}
	}
	e.token, _, err = auth.NewTokens(d.DB).Create(ctx, "desk", auth.RoleParalegal)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *engagementApp) do(t *testing.T, method, path string, body string, headers map[string]string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := e.app.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Content-Type")
}

func (e *engagementApp) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.d.DB.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSendGridWebhookRoute(t *testing.T) {
	e := newEngagementApp(t)
	now := strconv.FormatInt(e.clk.Now().Unix(), 10)
	old := strconv.FormatInt(e.clk.Now().Add(-6*time.Minute).Unix(), 10)
	body := fmt.Sprintf(`[{"email":%q,"timestamp":%s,"event":"delivered","sg_event_id":"ev-1","herald_message_id":"%d"},
		{"email":%q,"timestamp":%s,"event":"open","sg_event_id":"ev-2","herald_message_id":"%d","sg_machine_open":false}]`,
		engEmail, now, e.email, engEmail, now, e.email)
	sig := e.sendgridHeader(now, []byte(body))
	tests := []struct {
		name       string
		body, sig  string
		ts         string
		wantStatus int
		wantBody   string
		wantEvents int
	}{
		{"unsigned", body, "", now, 401, "missing", 0},
		{"tampered", strings.Replace(body, "delivered", "bounce", 1), sig, now, 401, "does not match", 0},
		{"old", body, e.sendgridHeader(old, []byte(body)), old, 401, "replay window", 0},
		{"not JSON but signed", "{", e.sendgridHeader(now, []byte("{")), now, 400, "JSON array", 0},
		{"valid", body, sig, now, 200, `"Applied":2`, 2},
		{"same batch again", body, sig, now, 200, `"Duplicates":2`, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, got, _ := e.do(t, "POST", "/webhooks/sendgrid/events", tt.body, map[string]string{
				"Content-Type": "application/json", engagement.SendGridSignatureHeader: tt.sig, engagement.SendGridTimestampHeader: tt.ts})
			if status != tt.wantStatus || !strings.Contains(got, tt.wantBody) {
				t.Errorf("= %d %s, want %d containing %s", status, got, tt.wantStatus, tt.wantBody)
			}
			if n := e.count(t, `SELECT count(*) FROM provider_events`); n != tt.wantEvents {
				t.Errorf("provider events stored = %d, want %d", n, tt.wantEvents)
			}
		})
	}
	var status string
	if err := e.d.DB.Pool.QueryRow(context.Background(), `SELECT status FROM messages WHERE id = $1`, e.email).Scan(&status); err != nil || status != "opened" {
		t.Errorf("email status = %s (%v), want opened", status, err)
	}
}

// twilioSignature is X-Twilio-Signature as Twilio documents it, checked
// against twilio-go's own validator.
func twilioSignature(t *testing.T, fullURL string, form url.Values) string {
	t.Helper()
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(twilioToken))
	mac.Write([]byte(s))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	rv := client.NewRequestValidator(twilioToken)
	if !rv.ValidateBody(fullURL, []byte(form.Encode()), sig) {
		t.Fatal("twilio-go rejects the test signature")
	}
	return sig
}

func (e *engagementApp) twilio(t *testing.T, path string, form url.Values, sig string) (int, string, string) {
	t.Helper()
	if sig == "" {
		sig = twilioSignature(t, publicURL+path, form)
	}
	return e.do(t, "POST", path, form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		engagement.TwilioSignatureHeader: sig})
}

func TestTwilioStatusRoute(t *testing.T) {
	e := newEngagementApp(t)
	path := fmt.Sprintf("/webhooks/twilio/status?mid=%d", e.sms)
	form := url.Values{"MessageSid": {"Psms"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30006"}, "To": {engPhone}}
	wrong := twilioSignature(t, publicURL+"/webhooks/twilio/status?mid=999", form)
	if status, body, _ := e.twilio(t, path, form, wrong); status != 403 {
		t.Errorf("wrong signature = %d %s, want 403", status, body)
	}
	if n := e.count(t, `SELECT count(*) FROM provider_events`); n != 0 {
		t.Errorf("stored %d events for a forged callback", n)
	}
	if status, body, _ := e.twilio(t, path, form, ""); status != 204 {
		t.Errorf("signed callback = %d %s, want 204", status, body)
	}
	if n := e.count(t, `SELECT count(*) FROM messages WHERE id = $1 AND status = 'dead'`, e.sms); n != 1 {
		t.Error("undelivered callback did not kill the message")
	}
	if n := e.count(t, `SELECT count(*) FROM data_findings WHERE code = 'landline'`); n != 1 {
		t.Errorf("landline findings = %d, want 1", n)
	}
}

func TestTwilioInboundRoute(t *testing.T) {
	e := newEngagementApp(t)
	path := "/webhooks/twilio/inbound"
	tests := []struct {
		body, optOutType string
		wantMessage      string // "" = an empty <Response>
		wantOut          bool
	}{
		{"HELP", "", "", false},     // Twilio's keyword handling answers HELP
		{"INFO", "HELP", "", false}, // so does Advanced Opt-Out, with the firm's text
		{"STOP", "STOP", "", true},
		{"START", "START", "", false},
		{"please stop texting me", "", "you will no longer receive text messages", true},
		{"stop texting me!", "", "", true},
	}
	for i, tt := range tests {
		form := url.Values{"MessageSid": {fmt.Sprintf("SMin%d", i)}, "From": {engPhone}, "To": {"+13125550100"}, "Body": {tt.body}}
		if tt.optOutType != "" {
			form.Set("OptOutType", tt.optOutType)
		}
		status, body, ctype := e.twilio(t, path, form, "")
		if status != 200 || !strings.HasPrefix(ctype, "text/xml") || !strings.Contains(body, "<Response>") {
			t.Errorf("%q = %d %s %s, want 200 TwiML", tt.body, status, ctype, body)
		}
		hasMessage := strings.Contains(body, "<Message>")
		if hasMessage != (tt.wantMessage != "") || !strings.Contains(body, tt.wantMessage) {
			t.Errorf("%q answered %s, want message %q", tt.body, body, tt.wantMessage)
		}
		out, err := e.consent.IsOptedOut(context.Background(), "sms", engPhone)
		if err != nil || out != tt.wantOut {
			t.Errorf("after %q opted out = %v (%v), want %v", tt.body, out, err, tt.wantOut)
		}
	}
	form := url.Values{"MessageSid": {"SMx"}, "From": {engPhone}, "Body": {"hello"}}
	if status, _, _ := e.twilio(t, path, form, "bm9wZQ=="); status != 403 {
		t.Errorf("forged inbound = %d, want 403", status)
	}
	if n := e.count(t, `SELECT count(*) FROM inbound_messages WHERE provider_message_id = 'SMx'`); n != 0 {
		t.Error("a forged inbound message was stored")
	}
}

func TestConsentAndAnalyticsAPI(t *testing.T) {
	e := newEngagementApp(t)
	form := url.Values{"MessageSid": {"SM1"}, "From": {engPhone}, "Body": {"=please unsubscribe me"}}
	if status, body, _ := e.twilio(t, "/webhooks/twilio/inbound", form, ""); status != 200 {
		t.Fatalf("inbound = %d %s", status, body)
	}
	auth := map[string]string{"Authorization": "Bearer " + e.token}
	base := fmt.Sprintf("/api/v1/clients/%d", e.client.ClientID)
	tests := []struct {
		name, path string
		headers    map[string]string
		wantStatus int
		wantBody   []string
	}{
		{"no token", base + "/consent", nil, 401, []string{"Bearer"}},
		{"json", base + "/consent", auth, 200, []string{`"source":"natural_language"`, `"text":"=please unsubscribe me"`, `"opted_out":true`}},
		{"csv", base + "/consent?format=csv", auth, 200, []string{"id,at,channel,address,action,source,text,actor,client_id",
			",sms,+13125550134,opt_out,natural_language,'=please unsubscribe me,client,"}},
		{"bad format", base + "/consent?format=xml", auth, 400, []string{`"field":"format"`}},
		{"unknown client", "/api/v1/clients/999999/consent", auth, 404, []string{"not found"}},
		{"engagement", base + "/engagement", auth, 200, []string{`"state":"opted_out"`, `"intent":"opt_out"`}},
		{"analytics", "/api/v1/analytics/templates?from=2026-02-01T00:00:00Z&to=2026-03-03T00:00:00Z", auth, 200, []string{`"templates":[]`, `"min_sends":50`}},
		{"analytics bad from", "/api/v1/analytics/templates?from=yesterday", auth, 400, []string{`"field":"from"`}},
		{"analytics reversed", "/api/v1/analytics/templates?from=2026-03-03T00:00:00Z&to=2026-02-01T00:00:00Z", auth, 400, []string{`"field":"from"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, _ := e.do(t, "GET", tt.path, "", tt.headers)
			if status != tt.wantStatus {
				t.Errorf("= %d %s, want %d", status, body, tt.wantStatus)
			}
			for _, w := range tt.wantBody {
				if !strings.Contains(body, w) {
					t.Errorf("body %s lacks %s", body, w)
				}
			}
		})
	}
}
