package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCodeInfo(t *testing.T) {
	tests := []struct {
		provider, code string
		want           Class
		wantFix        string // substring of the fix, "" to skip
	}{
		{ProviderTwilio, "20429", Transient, ""},
		{ProviderTwilio, "30001", Transient, ""},
		{ProviderTwilio, "30003", Transient, ""},
		{ProviderTwilio, "30008", Transient, ""},
		{ProviderTwilio, "21211", Permanent, "fix the client's mobile number"},
		{ProviderTwilio, "21610", Permanent, "text START"},
		{ProviderTwilio, "21614", Permanent, "switch to email"},
		{ProviderTwilio, "30004", Permanent, ""},
		{ProviderTwilio, "30005", Permanent, ""},
		{ProviderTwilio, "30006", Permanent, "switch to email or fix the number in the CMS"},
		{ProviderTwilio, "30007", Permanent, ""},
		{ProviderTwilio, "20003", Permanent, "TWILIO_AUTH_TOKEN"},
		{ProviderSendGrid, "400", Permanent, ""},
		{ProviderSendGrid, "401", Permanent, "SENDGRID_API_KEY"},
		{ProviderSendGrid, "403", Permanent, ""},
		{ProviderSendGrid, "404", Permanent, ""},
		{ProviderSendGrid, "413", Permanent, "shorten the template"},
		{ProviderSendGrid, "bounce", Permanent, "fix the client's email"},
		{ProviderSendGrid, "dropped", Permanent, ""},
		{ProviderTwilio, "99999", "", ""},
		{ProviderSendGrid, "21211", "", ""},
		{"carrier-pigeon", "21211", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.code, func(t *testing.T) {
			class, reason, fix := CodeInfo(tt.provider, tt.code)
			if class != tt.want {
				t.Errorf("CodeInfo(%q, %q) class = %q, want %q", tt.provider, tt.code, class, tt.want)
			}
			if class == Permanent && (reason == "" || fix == "") {
				t.Errorf("CodeInfo(%q, %q) = reason %q, fix %q; want both set for a permanent code", tt.provider, tt.code, reason, fix)
			}
			if !strings.Contains(fix, tt.wantFix) {
				t.Errorf("CodeInfo(%q, %q) fix = %q, want it to contain %q", tt.provider, tt.code, fix, tt.wantFix)
			}
		})
	}
}

func TestStatusInfo(t *testing.T) {
	tests := []struct {
		provider string
		status   int
		want     Class
	}{
		{ProviderSendGrid, 400, Permanent},
		{ProviderSendGrid, 401, Permanent},
		{ProviderSendGrid, 403, Permanent},
		{ProviderSendGrid, 404, Permanent},
		{ProviderSendGrid, 413, Permanent},
		{ProviderSendGrid, 422, Permanent},
		{ProviderSendGrid, 408, Transient},
		{ProviderSendGrid, 429, Transient},
		{ProviderSendGrid, 500, Transient},
		{ProviderSendGrid, 502, Transient},
		{ProviderTwilio, 503, Transient},
		{ProviderTwilio, 401, Permanent},
		{ProviderTwilio, 202, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.provider, tt.status), func(t *testing.T) {
			got, reason, _ := StatusInfo(tt.provider, tt.status)
			if got != tt.want {
				t.Errorf("StatusInfo(%q, %d) = %q, want %q", tt.provider, tt.status, got, tt.want)
			}
			if got != "" && reason == "" {
				t.Errorf("StatusInfo(%q, %d) reason is empty", tt.provider, tt.status)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	optedOut := &SendError{Class: Permanent, Provider: ProviderTwilio, Code: "21610", OptedOut: true}
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"send error", optedOut, Permanent},
		{"wrapped send error", fmt.Errorf("deliver message 7: %w", optedOut), Permanent},
		{"template", fmt.Errorf("render reminder: %w", ErrTemplate), Permanent},
		{"invalid message", Outgoing{Channel: ChannelSMS}.Validate(), Permanent},
		{"dns", &url500{&net.DNSError{Err: "no such host", Name: "api.sendgrid.com", IsNotFound: true}}, Transient},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, Transient},
		{"dial timeout", &net.OpError{Op: "dial", Net: "tcp", Err: timeoutErr{}}, Transient},
		{"deadline without write state", context.DeadlineExceeded, OutcomeUnknown},
		{"reset after write", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, OutcomeUnknown},
		{"eof", io.ErrUnexpectedEOF, OutcomeUnknown},
		{"unknown error", errors.New("boom"), OutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Classify(tt.err)
			if got == nil || got.Class != tt.want {
				t.Fatalf("Classify(%v) = %v, want class %q", tt.err, got, tt.want)
			}
			if !errors.Is(got, tt.err) && !errors.Is(tt.err, got) {
				t.Errorf("Classify(%v) lost the original error: %v", tt.err, got)
			}
		})
	}
	if got := Classify(nil); got != nil {
		t.Errorf("Classify(nil) = %v, want nil", got)
	}
	if got := Classify(fmt.Errorf("x: %w", optedOut)); !got.OptedOut {
		t.Errorf("Classify kept OptedOut = false, want true")
	}
}

// url500 wraps an error the way *url.Error does, to check unwrapping.
type url500 struct{ err error }

func (u *url500) Error() string { return "Post \"https://api.example\": " + u.err.Error() }
func (u *url500) Unwrap() error { return u.err }

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"30"}}, 30 * time.Second},
		{"http date", http.Header{"Retry-After": {now.Add(2 * time.Minute).Format(http.TimeFormat)}}, 2 * time.Minute},
		{"date in the past", http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0},
		{"negative seconds", http.Header{"Retry-After": {"-5"}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
		{"sendgrid reset", http.Header{"X-Ratelimit-Reset": {fmt.Sprint(now.Add(45 * time.Second).Unix())}}, 45 * time.Second},
		{"retry-after wins", http.Header{"Retry-After": {"5"}, "X-Ratelimit-Reset": {fmt.Sprint(now.Add(time.Hour).Unix())}}, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RetryAfter(tt.header, now); got != tt.want {
				t.Errorf("RetryAfter(%v) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"The 'To' number +15551234567 is not a valid phone number.", "The 'To' number ***67 is not a valid phone number."},
		{"bounce for jane.doe@example.com", "bounce for ***@example.com"},
		{"account AC0123456789abcdef", "account AC0123456789abcdef"},
		{"HTTP 503 after 3 tries", "HTTP 503 after 3 tries"},
		{"call (555) 123-4567 now", "call ***67 now"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSendErrorMessage(t *testing.T) {
	err := &SendError{Class: Permanent, Provider: ProviderTwilio, HTTPStatus: 400, Code: "21211",
		Reason: "invalid 'To' phone number", Err: errors.New("the 'To' number +15551234567 is not valid")}
	got := err.Error()
	want := "twilio: permanent (HTTP 400) code 21211: invalid 'To' phone number: the 'To' number ***67 is not valid"
	if got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestClassifyTransport drives a real HTTP client through TrackWrite to check
// that "never sent" and "maybe sent" are told apart.
func TestClassifyTransport(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hang.Close()
	defer close(release)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	tests := []struct {
		name    string
		url     string
		timeout time.Duration
		want    Class
	}{
		{"connection refused", closedURL, time.Second, Transient},
		{"deadline before sending", hang.URL, -time.Second, Transient},
		{"timeout after request written", hang.URL, 100 * time.Millisecond, OutcomeUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			ctx, ws := TrackWrite(ctx)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, tt.url, strings.NewReader(`{"x":1}`))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("Do() succeeded, want an error")
			}
			got := ClassifyTransport("test", err, ws)
			if got.Class != tt.want {
				t.Errorf("ClassifyTransport(%v) = %q, want %q", err, got.Class, tt.want)
			}
		})
	}
}
