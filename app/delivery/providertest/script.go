// Package providertest runs local fakes of the SendGrid and Twilio HTTP APIs
// that speak their documented request and error shapes, so the real SDKs can be
// exercised without the internet. Tests use them through NewSendGrid and
// NewTwilio; `herald bench` uses them too, so nothing here needs a *testing.T.
//
// Each fake answers every request according to a script: a queue of Steps
// consumed one per send, then a default Step (normally: accept). A Step can
// answer with an error, or misbehave after reading the request — hang or drop
// the connection, before or after recording the message as accepted — to
// produce the "outcome unknown" cases Herald must reconcile.
package providertest

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// Behavior says how a fake answers one send request.
type Behavior int

const (
	// Respond answers normally: accept the message when Step.Status is 0,
	// otherwise reply with Step.Status, Step.Body and Step.Header.
	Respond Behavior = iota
	// Hang reads the request, does not send the message, and never answers
	// until the client gives up or the fake closes.
	Hang
	// AcceptThenHang records the message as sent, then never answers.
	AcceptThenHang
	// Reset reads the request, does not send the message, and drops the
	// connection.
	Reset
	// AcceptThenReset records the message as sent, then drops the connection.
	AcceptThenReset
)

// Step is one scripted answer.
type Step struct {
	Behavior Behavior
	// Status is the HTTP status for Respond; 0 means the normal success.
	Status int
	// Body is the raw response body sent with Status.
	Body string
	// Header holds extra response headers (Retry-After, X-RateLimit-Reset).
	Header http.Header
}

// WithHeader returns a copy of s that also sends the header key: value.
func (s Step) WithHeader(key, value string) Step {
	h := s.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set(key, value)
	s.Header = h
	return s
}

// Stats counts what a fake has seen.
type Stats struct {
	Requests int // send requests received, valid or not
	Accepted int // messages recorded as sent (including AcceptThen… steps)
	Rejected int // requests answered with an error status
	Hung     int // requests left without an answer
	Reset    int // connections dropped on purpose
}

// script holds the behaviour shared by both fakes.
type script struct {
	mu       sync.Mutex
	queue    []Step
	fallback Step
	latency  time.Duration
	jitter   time.Duration
	stats    Stats
	closing  chan struct{}
	once     sync.Once
}

func newScript() *script {
	return &script{closing: make(chan struct{})}
}

// Enqueue appends steps to the script; each send request consumes one.
func (s *script) Enqueue(steps ...Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, steps...)
}

// SetDefault sets the Step used once the queue is empty. The zero Step
// accepts every message.
func (s *script) SetDefault(step Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fallback = step
}

// SetLatency delays every send answer by base plus a uniformly random extra
// of up to jitter.
func (s *script) SetLatency(base, jitter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency, s.jitter = base, jitter
}

// Stats returns the counters so far.
func (s *script) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *script) count(f func(*Stats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.stats)
}

// next pops the next Step and returns the delay to apply before answering.
func (s *script) next() (Step, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	step := s.fallback
	if len(s.queue) > 0 {
		step = s.queue[0]
		s.queue = s.queue[1:]
	}
	delay := s.latency
	if s.jitter > 0 {
		delay += rand.N(s.jitter)
	}
	return step, delay
}

// wait sleeps for d unless the request or the fake ends first; it reports
// whether the full delay elapsed.
func (s *script) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// hang blocks until the client goes away or the fake closes.
func (s *script) hang(ctx context.Context) {
	s.count(func(st *Stats) { st.Hung++ })
	select {
	case <-ctx.Done():
	case <-s.closing:
	}
}

// reset drops the connection under the handler with a TCP reset.
func (s *script) reset(w http.ResponseWriter) {
	s.count(func(st *Stats) { st.Reset++ })
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// close releases hung handlers.
func (s *script) close() {
	s.once.Do(func() { close(s.closing) })
}

// reply writes a scripted or validation error.
func (s *script) reply(w http.ResponseWriter, status int, header http.Header, contentType, body string) {
	s.count(func(st *Stats) { st.Rejected++ })
	for k, vs := range header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// misbehave carries out a non-Respond step after the optional accept; it
// reports whether it handled the request.
func (s *script) misbehave(w http.ResponseWriter, r *http.Request, step Step, accept func()) bool {
	switch step.Behavior {
	case Hang:
		s.hang(r.Context())
	case AcceptThenHang:
		accept()
		s.hang(r.Context())
	case Reset:
		s.reset(w)
	case AcceptThenReset:
		accept()
		s.reset(w)
	default:
		return false
	}
	return true
}
