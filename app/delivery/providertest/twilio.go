package providertest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TwilioSend is one message the fake accepted.
type TwilioSend struct {
	SID                 string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	// HeraldMessageID is the "mid" query parameter of StatusCallback, 0 when
	// absent.
	HeraldMessageID int64
	At              time.Time
	// Received is when the request arrived, before any scripted latency.
	Received time.Time
}

// twilioMessage is the state Lookup reads back.
type twilioMessage struct {
	send      TwilioSend
	status    string
	errorCode int
}

// FakeTwilio is a local Twilio Programmable Messaging API:
// POST /2010-04-01/Accounts/{AccountSid}/Messages.json creates a message and
// GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json fetches one.
// Scripted Steps and latency apply to creates only. Its scripting methods
// (Enqueue, SetDefault, SetLatency, Stats) are safe for concurrent use.
type FakeTwilio struct {
	*script
	// URL is the base URL to configure the sender with.
	URL string
	// AccountSID and AuthToken are the Basic auth credentials the fake
	// accepts; AccountSID must also be the one in the path.
	AccountSID, AuthToken string

	srv      *httptest.Server
	mu       sync.Mutex
	sends    []TwilioSend
	messages map[string]*twilioMessage
}

// NewTwilio starts a fake Twilio server with random credentials. With a
// non-nil tb it is closed when the test ends; otherwise call Close.
func NewTwilio(tb testing.TB) *FakeTwilio {
	f := &FakeTwilio{
		script:     newScript(),
		AccountSID: "AC" + randomHex(16),
		AuthToken:  randomHex(16),
		messages:   map[string]*twilioMessage{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{account}/Messages.json", f.create)
	mux.HandleFunc("GET /2010-04-01/Accounts/{account}/Messages/{sid}", f.fetch)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	if tb != nil {
		tb.Cleanup(f.Close)
	}
	return f
}

// Close releases hung requests and stops the server.
func (f *FakeTwilio) Close() {
	f.close()
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// Sends returns a copy of the messages accepted so far, in order.
func (f *FakeTwilio) Sends() []TwilioSend {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]TwilioSend(nil), f.sends...)
}

// Duplicates counts accepted sends whose herald message id had already been
// accepted: for a correct pipeline it stays 0.
func (f *FakeTwilio) Duplicates() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return duplicates(len(f.sends), func(i int) int64 { return f.sends[i].HeraldMessageID })
}

// SetStatus sets what a fetch of message sid reports, as a status callback
// would have moved it: for example "delivered", or "undelivered" with 30006.
// It reports false when the fake never accepted sid.
func (f *FakeTwilio) SetStatus(sid, status string, errorCode int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.messages[sid]
	if ok {
		m.status, m.errorCode = status, errorCode
	}
	return ok
}

// TwilioError returns a Step answering status with Twilio's error shape
// {"code":…,"message":…,"more_info":…,"status":…}.
func TwilioError(status, code int, message string) Step {
	return Step{Status: status, Body: twilioErrorBody(status, code, message)}
}

// TwilioRateLimited returns a 429 Step with code 20429 and Retry-After.
func TwilioRateLimited(retryAfter time.Duration) Step {
	return TwilioError(http.StatusTooManyRequests, 20429, "Too Many Requests").
		WithHeader("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
}

func twilioErrorBody(status, code int, message string) string {
	b, _ := json.Marshal(map[string]any{
		"code":      code,
		"message":   message,
		"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code),
		"status":    status,
	})
	return string(b)
}

// e164 is Twilio's accepted shape for a To number.
var e164 = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

func (f *FakeTwilio) create(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	body, readErr := io.ReadAll(r.Body)
	step, delay := f.next()
	if !f.wait(r.Context(), delay) {
		return
	}
	if !f.authorized(w, r) {
		return
	}
	form, err := url.ParseQuery(string(body))
	if readErr != nil || err != nil {
		f.replyTwilio(w, http.StatusBadRequest, 20001, "Unable to parse request body", nil)
		return
	}
	send := TwilioSend{
		To: form.Get("To"), From: form.Get("From"), MessagingServiceSID: form.Get("MessagingServiceSid"),
		Body: form.Get("Body"), StatusCallback: form.Get("StatusCallback"), Received: received,
	}
	switch {
	case send.To == "":
		f.replyTwilio(w, http.StatusBadRequest, 21604, "A 'To' phone number is required.", nil)
		return
	case !e164.MatchString(send.To):
		f.replyTwilio(w, http.StatusBadRequest, 21211, fmt.Sprintf("The 'To' number %s is not a valid phone number.", send.To), nil)
		return
	case send.From == "" && send.MessagingServiceSID == "":
		f.replyTwilio(w, http.StatusBadRequest, 21603, "A 'From' phone number is required.", nil)
		return
	case send.Body == "":
		f.replyTwilio(w, http.StatusBadRequest, 21602, "Message body is required.", nil)
		return
	case len([]rune(send.Body)) > 1600:
		f.replyTwilio(w, http.StatusBadRequest, 21617, "The concatenated message body exceeds the 1600 character limit.", nil)
		return
	}
	if cb, err := url.Parse(send.StatusCallback); err == nil {
		send.HeraldMessageID, _ = strconv.ParseInt(cb.Query().Get("mid"), 10, 64)
	}
	accept := func() *twilioMessage {
		send.SID = "SM" + randomHex(16)
		send.At = time.Now().UTC()
		status := "queued"
		if send.From == "" {
			status = "accepted" // messaging service picks the sender later
		}
		m := &twilioMessage{send: send, status: status}
		f.mu.Lock()
		f.sends = append(f.sends, send)
		f.messages[send.SID] = m
		f.mu.Unlock()
		f.count(func(st *Stats) { st.Accepted++ })
		return m
	}
	if f.misbehave(w, r, step, func() { accept() }) {
		return
	}
	if step.Status != 0 {
		f.reply(w, step.Status, step.Header, "application/json", step.Body)
		return
	}
	m := accept()
	f.writeMessage(w, http.StatusCreated, m)
}

func (f *FakeTwilio) fetch(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	sid := strings.TrimSuffix(r.PathValue("sid"), ".json")
	f.mu.Lock()
	m, ok := f.messages[sid]
	var snapshot twilioMessage
	if ok {
		snapshot = *m
	}
	f.mu.Unlock()
	if !ok {
		f.replyTwilio(w, http.StatusNotFound, 20404,
			fmt.Sprintf("The requested resource %s was not found", r.URL.Path), nil)
		return
	}
	f.writeMessage(w, http.StatusOK, &snapshot)
}

// authorized checks Basic auth and the account in the path, answering 401 or
// 404 like Twilio when they do not match.
func (f *FakeTwilio) authorized(w http.ResponseWriter, r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.AccountSID || pass != f.AuthToken {
		f.replyTwilio(w, http.StatusUnauthorized, 20003, "Authenticate", nil)
		return false
	}
	if r.PathValue("account") != f.AccountSID {
		f.replyTwilio(w, http.StatusNotFound, 20404,
			fmt.Sprintf("The requested resource %s was not found", r.URL.Path), nil)
		return false
	}
	return true
}

func (f *FakeTwilio) replyTwilio(w http.ResponseWriter, status, code int, message string, header http.Header) {
	f.reply(w, status, header, "application/json", twilioErrorBody(status, code, message))
}

// writeMessage answers with Twilio's Message resource.
func (f *FakeTwilio) writeMessage(w http.ResponseWriter, status int, m *twilioMessage) {
	uri := fmt.Sprintf("/2010-04-01/Accounts/%s/Messages/%s", f.AccountSID, m.send.SID)
	date := m.send.At.Format(time.RFC1123Z)
	res := map[string]any{
		"account_sid":           f.AccountSID,
		"api_version":           "2010-04-01",
		"body":                  m.send.Body,
		"date_created":          date,
		"date_updated":          date,
		"date_sent":             nil,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  nullable(m.send.From),
		"messaging_service_sid": nullable(m.send.MessagingServiceSID),
		"num_media":             "0",
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   m.send.SID,
		"status":                m.status,
		"subresource_uris":      map[string]string{"media": uri + "/Media.json"},
		"to":                    m.send.To,
		"uri":                   uri + ".json",
	}
	if m.errorCode != 0 {
		res["error_code"] = m.errorCode
		res["error_message"] = fmt.Sprintf("Twilio error %d", m.errorCode)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(res)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
