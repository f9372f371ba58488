// Package sandbox is a delivery.Sender for development and demos: nothing
// leaves the machine, every message is "delivered" at once and recorded in
// memory.
//
// Recipients can ask for a failure, so the demo shows retries, dead letters and
// reconciliation:
//
//   - an address containing "fail-permanent" fails permanently (as a hard
//     bounce for email, as Twilio 21211 for SMS);
//   - "fail-transient" fails transiently (503), with RetryAfter of one minute;
//   - "fail-unknown" fails with OutcomeUnknown, and the message is recorded as
//     sent, like a provider that accepted it before the connection dropped;
//   - "fail-optout" fails permanently with OptedOut set (Twilio 21610).
//
// Phone numbers cannot contain words, so Twilio's documented test numbers work
// too: +15005550001 (invalid number, 21211), +15005550004 (opted out, 21610)
// and +15005550009 (not a mobile number, 21614).
package sandbox

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/heraldhq/herald/app/delivery"
)

// Sent is one message the sandbox accepted.
type Sent struct {
	Receipt   delivery.Receipt
	Message   delivery.Outgoing
	At        time.Time
	Duplicate bool // an earlier accepted message had the same MessageID or IdempotencyKey
}

// Sender is the sandbox delivery.Sender. The zero value is not usable; call New.
// It is safe for concurrent use.
type Sender struct {
	now func() time.Time

	mu   sync.Mutex
	sent []Sent
	ids  map[int64]bool
	keys map[string]bool
}

// New returns a Sender that stamps sends with now (time.Now when nil).
func New(now func() time.Time) *Sender {
	if now == nil {
		now = time.Now
	}
	return &Sender{now: now, ids: map[int64]bool{}, keys: map[string]bool{}}
}

// failure is a magic recipient and what it does.
type failure struct {
	marker string
	code   string // provider code for CodeInfo, "" for none
	class  delivery.Class
	record bool // the message counts as sent despite the error
}

var failures = []failure{
	{"fail-permanent", "", delivery.Permanent, false},
	{"fail-transient", "", delivery.Transient, false},
	{"fail-unknown", "", delivery.OutcomeUnknown, true},
	{"fail-optout", "21610", delivery.Permanent, false},
	{"+15005550001", "21211", delivery.Permanent, false},
	{"+15005550004", "21610", delivery.Permanent, false},
	{"+15005550009", "21614", delivery.Permanent, false},
}

// Send records m and returns ProviderID "sandbox-<uuid>" with status
// "delivered", unless the recipient asks for a failure (see the package doc).
func (s *Sender) Send(ctx context.Context, m delivery.Outgoing) (delivery.Receipt, error) {
	if err := m.Validate(); err != nil {
		e := delivery.Classify(err)
		e.Provider = delivery.ProviderSandbox
		return delivery.Receipt{}, e
	}
	if err := ctx.Err(); err != nil {
		return delivery.Receipt{}, delivery.ClassifyTransport(delivery.ProviderSandbox, err, &delivery.WriteState{})
	}
	r := delivery.Receipt{Provider: delivery.ProviderSandbox, ProviderID: "sandbox-" + uuid.NewString(), Status: "delivered"}
	to := strings.ToLower(m.To)
	for _, f := range failures {
		if strings.Contains(to, f.marker) {
			if f.record {
				s.record(r, m)
			}
			return delivery.Receipt{}, failWith(f, m)
		}
	}
	s.record(r, m)
	return r, nil
}

func (s *Sender) record(r delivery.Receipt, m delivery.Outgoing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dup := s.ids[m.MessageID] || (m.IdempotencyKey != "" && s.keys[m.IdempotencyKey])
	s.ids[m.MessageID] = true
	if m.IdempotencyKey != "" {
		s.keys[m.IdempotencyKey] = true
	}
	s.sent = append(s.sent, Sent{Receipt: r, Message: m, At: s.now(), Duplicate: dup})
}

// failWith builds the SendError a real provider would have produced.
func failWith(f failure, m delivery.Outgoing) *delivery.SendError {
	e := &delivery.SendError{Class: f.class, Provider: delivery.ProviderSandbox,
		Err: fmt.Errorf("sandbox: message %d: simulated %s failure", m.MessageID, f.class)}
	switch {
	case f.code != "":
		e.Code = f.code
		e.HTTPStatus = 400
		_, e.Reason, e.SuggestedFix = delivery.CodeInfo(delivery.ProviderTwilio, f.code)
		e.OptedOut = f.code == "21610"
	case f.class == delivery.Permanent && m.Channel == delivery.ChannelSMS:
		e.Code, e.HTTPStatus = "21211", 400
		_, e.Reason, e.SuggestedFix = delivery.CodeInfo(delivery.ProviderTwilio, "21211")
	case f.class == delivery.Permanent:
		e.Code = "bounce"
		_, e.Reason, e.SuggestedFix = delivery.CodeInfo(delivery.ProviderSendGrid, "bounce")
	case f.class == delivery.Transient:
		e.HTTPStatus, e.Code, e.RetryAfter = 503, "503", time.Minute
		_, e.Reason, e.SuggestedFix = delivery.StatusInfo(delivery.ProviderSandbox, 503)
	default:
		e.Reason = "simulated timeout after the request was sent; the message may have been delivered"
		e.SuggestedFix = "do not resend by hand: reconcile first"
	}
	return e
}

// Sent returns a copy of the accepted messages, in order.
func (s *Sender) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Duplicates counts accepted messages flagged Duplicate; a correct pipeline
// keeps it at 0.
func (s *Sender) Duplicates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, x := range s.sent {
		if x.Duplicate {
			n++
		}
	}
	return n
}

// Reset forgets every recorded message.
func (s *Sender) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent, s.ids, s.keys = nil, map[int64]bool{}, map[string]bool{}
}
