package providertest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery/providertest"
)

func post(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err) // not Fatal: post is called from goroutines
		return 0, nil, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestFakeSendGridValidation(t *testing.T) {
	const valid = `{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"f@example.com"},"subject":"s","content":[{"type":"text/plain","value":"v"}],"custom_args":{"herald_message_id":"5"}}`
	tests := []struct {
		name       string
		auth, body string
		wantStatus int
		wantField  string
	}{
		{"accepted", "Bearer " + providertest.SendGridAPIKey, valid, 202, ""},
		{"bad key", "Bearer nope", valid, 401, ""},
		{"not json", "Bearer " + providertest.SendGridAPIKey, "{", 400, ""},
		{"no personalizations", "Bearer " + providertest.SendGridAPIKey, `{"from":{"email":"f@example.com"},"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, 400, "personalizations"},
		{"no from", "Bearer " + providertest.SendGridAPIKey, `{"personalizations":[{"to":[{"email":"a@example.com"}]}],"subject":"s","content":[{"type":"text/plain","value":"v"}]}`, 400, "from"},
		{"no content", "Bearer " + providertest.SendGridAPIKey, `{"personalizations":[{"to":[{"email":"a@example.com"}]}],"from":{"email":"f@example.com"},"subject":"s"}`, 400, "content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := providertest.NewSendGrid(t)
			req, _ := http.NewRequest(http.MethodPost, fake.URL+"/v3/mail/send", strings.NewReader(tt.body))
			req.Header.Set("Authorization", tt.auth)
			status, header, body := post(t, req)
			if status != tt.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", status, tt.wantStatus, body)
			}
			if status == 202 {
				if header.Get("X-Message-Id") == "" || fake.Sends()[0].HeraldMessageID != 5 {
					t.Errorf("accepted send: header %v, sends %+v; want an X-Message-Id and herald id 5", header, fake.Sends())
				}
				return
			}
			var e struct {
				Errors []struct {
					Message string  `json:"message"`
					Field   *string `json:"field"`
				} `json:"errors"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || len(e.Errors) != 1 || e.Errors[0].Message == "" {
				t.Fatalf("body = %s, want SendGrid's error shape", body)
			}
			if tt.wantField != "" && (e.Errors[0].Field == nil || *e.Errors[0].Field != tt.wantField) {
				t.Errorf("field = %v, want %q", e.Errors[0].Field, tt.wantField)
			}
		})
	}
}

func TestFakeTwilioConcurrentSends(t *testing.T) {
	fake := providertest.NewTwilio(nil)
	defer fake.Close()
	fake.SetLatency(time.Millisecond, time.Millisecond)
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			form := url.Values{"To": {"+15551234567"}, "From": {"+15550006666"}, "Body": {"hi"},
				"StatusCallback": {"https://h.example/webhooks/twilio/status?mid=" + string(rune('a'+i%2))}}
			req, _ := http.NewRequest(http.MethodPost, fake.URL+"/2010-04-01/Accounts/"+fake.AccountSID+"/Messages.json", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(fake.AccountSID, fake.AuthToken)
			if status, _, body := post(t, req); status != 201 {
				t.Errorf("status = %d, want 201 (body %s)", status, body)
			}
		})
	}
	wg.Wait()
	if got := fake.Stats(); got.Requests != n || got.Accepted != n {
		t.Errorf("Stats() = %+v, want %d requests and accepts", got, n)
	}
	if got := len(fake.Sends()); got != n {
		t.Errorf("len(Sends()) = %d, want %d", got, n)
	}
}

func TestFakeTwilioDuplicates(t *testing.T) {
	fake := providertest.NewTwilio(t)
	for _, mid := range []string{"1", "2", "1"} {
		form := url.Values{"To": {"+15551234567"}, "From": {"+15550006666"}, "Body": {"hi"},
			"StatusCallback": {"https://h.example/webhooks/twilio/status?mid=" + mid}}
		req, _ := http.NewRequest(http.MethodPost, fake.URL+"/2010-04-01/Accounts/"+fake.AccountSID+"/Messages.json", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(fake.AccountSID, fake.AuthToken)
		post(t, req)
	}
	if got := fake.Duplicates(); got != 1 {
		t.Errorf("Duplicates() = %d, want 1", got)
	}
}
