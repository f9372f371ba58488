package providertest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SendGridAPIKey is the API key a new FakeSendGrid accepts.
const SendGridAPIKey = "SG.fake-key"

// sendGridMaxBody is SendGrid's documented 30 MB limit for a mail send.
const sendGridMaxBody = 30 << 20

// SendGridSend is one message the fake accepted.
type SendGridSend struct {
	ProviderID      string // the X-Message-Id returned
	HeraldMessageID int64  // custom_args.herald_message_id, 0 when absent
	To              []string
	From            string
	FromName        string // from.name, the display name
	Subject         string
	Text, HTML      string
	CustomArgs      map[string]string
	At              time.Time
	// Received is when the request arrived, before any scripted latency.
	Received time.Time
}

// FakeSendGrid is a local SendGrid v3 Mail Send API: POST /v3/mail/send.
// Its scripting methods (Enqueue, SetDefault, SetLatency, Stats) are safe for
// concurrent use.
type FakeSendGrid struct {
	*script
	// URL is the base URL to configure the sender with.
	URL string
	// APIKey is the bearer token the fake accepts.
	APIKey string

	srv   *httptest.Server
	mu    sync.Mutex
	sends []SendGridSend
}

// NewSendGrid starts a fake SendGrid server. With a non-nil tb it is closed
// when the test ends; otherwise call Close.
func NewSendGrid(tb testing.TB) *FakeSendGrid {
	f := &FakeSendGrid{script: newScript(), APIKey: SendGridAPIKey}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/mail/send", f.mailSend)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	if tb != nil {
		tb.Cleanup(f.Close)
	}
	return f
}

// Close releases hung requests and stops the server.
func (f *FakeSendGrid) Close() {
	f.close()
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// Sends returns a copy of the messages accepted so far, in order.
func (f *FakeSendGrid) Sends() []SendGridSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]SendGridSend(nil), f.sends...)
}

// Duplicates counts accepted sends whose herald message id had already been
// accepted: for a correct pipeline it stays 0.
func (f *FakeSendGrid) Duplicates() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return duplicates(len(f.sends), func(i int) int64 { return f.sends[i].HeraldMessageID })
}

// SendGridError returns a Step answering status with SendGrid's error shape
// {"errors":[{"message":…,"field":…,"help":…}]}. An empty field is sent as null.
func SendGridError(status int, message, field string) Step {
	return Step{Status: status, Body: sendGridErrorBody(message, field)}
}

// SendGridRateLimited returns a 429 Step carrying SendGrid's rate-limit headers
// and a Retry-After of retryAfter.
func SendGridRateLimited(retryAfter time.Duration, now time.Time) Step {
	return SendGridError(http.StatusTooManyRequests, "too many requests", "").
		WithHeader("Retry-After", strconv.Itoa(int(retryAfter/time.Second))).
		WithHeader("X-RateLimit-Limit", "600").
		WithHeader("X-RateLimit-Remaining", "0").
		WithHeader("X-RateLimit-Reset", strconv.FormatInt(now.Add(retryAfter).Unix(), 10))
}

type sendGridFieldError struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Help    *string `json:"help"`
}

func sendGridErrorBody(message, field string) string {
	e := sendGridFieldError{Message: message}
	if field != "" {
		e.Field = &field
	}
	b, _ := json.Marshal(map[string][]sendGridFieldError{"errors": {e}})
	return string(b)
}

// sendGridMail is the subset of the v3 mail body the fake checks.
type sendGridMail struct {
	Personalizations []struct {
		To []struct {
			Email string `json:"email"`
		} `json:"to"`
		Subject string `json:"subject"`
	} `json:"personalizations"`
	From *struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	} `json:"from"`
	Subject string `json:"subject"`
	Content []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	TemplateID string            `json:"template_id"`
	CustomArgs map[string]string `json:"custom_args"`
}

func (f *FakeSendGrid) mailSend(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sendGridMaxBody))
	step, delay := f.next()
	if !f.wait(r.Context(), delay) {
		return
	}
	if err != nil {
		status, msg := http.StatusBadRequest, "Bad Request"
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			status, msg = http.StatusRequestEntityTooLarge, "The JSON payload you have included in your request is too large."
		}
		f.reply(w, status, nil, "application/json", sendGridErrorBody(msg, ""))
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+f.APIKey {
		f.reply(w, http.StatusUnauthorized, nil, "application/json",
			sendGridErrorBody("The provided authorization grant is invalid, expired, or revoked", ""))
		return
	}
	var m sendGridMail
	if err := json.Unmarshal(body, &m); err != nil {
		f.reply(w, http.StatusBadRequest, nil, "application/json",
			sendGridErrorBody("Bad Request", ""))
		return
	}
	if msg, field := validateSendGrid(m); msg != "" {
		f.reply(w, http.StatusBadRequest, nil, "application/json", sendGridErrorBody(msg, field))
		return
	}
	accept := func() (id string) {
		send := SendGridSend{ProviderID: sendGridMessageID(), From: m.From.Email, FromName: m.From.Name, Subject: m.Subject,
			CustomArgs: m.CustomArgs, At: time.Now(), Received: received}
		for _, p := range m.Personalizations {
			for _, to := range p.To {
				send.To = append(send.To, to.Email)
			}
			if send.Subject == "" {
				send.Subject = p.Subject
			}
		}
		for _, c := range m.Content {
			switch c.Type {
			case "text/plain":
				send.Text = c.Value
			case "text/html":
				send.HTML = c.Value
			}
		}
		send.HeraldMessageID, _ = strconv.ParseInt(m.CustomArgs["herald_message_id"], 10, 64)
		f.mu.Lock()
		f.sends = append(f.sends, send)
		f.mu.Unlock()
		f.count(func(st *Stats) { st.Accepted++ })
		return send.ProviderID
	}
	if f.misbehave(w, r, step, func() { accept() }) {
		return
	}
	if step.Status != 0 {
		f.reply(w, step.Status, step.Header, "application/json", step.Body)
		return
	}
	w.Header().Set("X-Message-Id", accept())
	w.WriteHeader(http.StatusAccepted)
}

// validateSendGrid returns SendGrid's message and field for the first problem
// in m, or "" when m is acceptable.
func validateSendGrid(m sendGridMail) (msg, field string) {
	if len(m.Personalizations) == 0 {
		return "The personalizations field is required and must have at least one personalization.", "personalizations"
	}
	subject := m.Subject != ""
	for i, p := range m.Personalizations {
		if len(p.To) == 0 {
			return "The to array is required for all personalization objects, and must have at least one email object with a valid email address.", "personalizations." + strconv.Itoa(i) + ".to"
		}
		for _, to := range p.To {
			if !strings.Contains(to.Email, "@") {
				return "Does not contain a valid address.", "personalizations." + strconv.Itoa(i) + ".to.0.email"
			}
		}
		subject = subject || p.Subject != ""
	}
	if m.From == nil || !strings.Contains(m.From.Email, "@") {
		return "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.", "from"
	}
	if m.TemplateID == "" && !subject {
		return "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.", "subject"
	}
	if m.TemplateID == "" && len(m.Content) == 0 {
		return "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block.", "content"
	}
	return "", ""
}

// sendGridMessageID returns an id shaped like SendGrid's X-Message-Id.
func sendGridMessageID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// duplicates counts ids, among n, already seen earlier; id 0 is ignored.
func duplicates(n int, id func(int) int64) int {
	seen := make(map[int64]bool, n)
	dup := 0
	for i := range n {
		v := id(i)
		if v == 0 {
			continue
		}
		if seen[v] {
			dup++
		}
		seen[v] = true
	}
	return dup
}
