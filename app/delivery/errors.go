package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Class says what the caller may do after a failed send.
type Class string

// The three classes of send failure. The values are stable strings so they can
// be stored and logged as they are.
const (
	// Transient failures did not send the message and may succeed later:
	// retry on the schedule, honouring SendError.RetryAfter.
	Transient Class = "transient"
	// Permanent failures will fail again with the same content and recipient:
	// dead-letter with SendError.Reason and SendError.SuggestedFix.
	Permanent Class = "permanent"
	// OutcomeUnknown failures happened after the request reached the provider:
	// the message may have been sent. Never retry blindly; reconcile with the
	// provider or hand to a human.
	OutcomeUnknown Class = "outcome_unknown"
)

// SendError is a classified send failure. Every error a Sender returns is one.
type SendError struct {
	Class    Class
	Provider string
	// HTTPStatus is the provider's response status, 0 when none arrived.
	HTTPStatus int
	// Code is the provider's error code (Twilio "21211"), the HTTP status as a
	// string for providers without codes (SendGrid "401"), or "" for network
	// failures.
	Code string
	// Reason is a human-readable explanation for staff; phone numbers and email
	// addresses quoted by the provider are masked.
	Reason string
	// SuggestedFix tells staff what to do, when something can be done.
	SuggestedFix string
	// RetryAfter is how long the provider asked us to wait, 0 when unspecified.
	RetryAfter time.Duration
	// OptedOut is set when the recipient has opted out at the provider (Twilio
	// 21610); the caller should record the opt-out, not only dead-letter.
	OptedOut bool
	// Err is the underlying error, if any.
	Err error
}

// Error describes the failure without the recipient's address.
func (e *SendError) Error() string {
	var b strings.Builder
	if e.Provider != "" {
		b.WriteString(e.Provider)
		b.WriteString(": ")
	}
	b.WriteString(string(e.Class))
	if e.HTTPStatus != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.HTTPStatus)
	}
	if e.Code != "" && e.Code != strconv.Itoa(e.HTTPStatus) {
		fmt.Fprintf(&b, " code %s", e.Code)
	}
	if e.Reason != "" {
		b.WriteString(": ")
		b.WriteString(e.Reason)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(Redact(e.Err.Error()))
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// Classify turns any error into a *SendError. A *SendError anywhere in the
// chain is returned as is; ErrInvalidMessage and ErrTemplate are permanent;
// network errors that prove nothing was sent (DNS failure, connection refused)
// are transient. Anything else, including timeouts and context errors, is
// OutcomeUnknown: without a WriteState there is no proof the provider did not
// receive the request, and a duplicate SMS is worse than a delayed one.
// Classify returns nil for a nil error.
func Classify(err error) *SendError {
	if err == nil {
		return nil
	}
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	switch {
	case errors.Is(err, ErrTemplate):
		return &SendError{Class: Permanent, Code: "template_error", Err: err,
			Reason:       "the message template failed to render",
			SuggestedFix: "fix the template in the portal, then resend the message"}
	case errors.Is(err, ErrInvalidMessage):
		return &SendError{Class: Permanent, Code: "invalid_message", Err: err,
			Reason:       "the message is missing a recipient or content",
			SuggestedFix: "check the client's contact details in the CMS and the template, then resend"}
	}
	return ClassifyTransport("", err, nil)
}

// ClassifyTransport classifies err, returned by an HTTP client before any
// response arrived, using w to tell whether the request left the machine.
// A request that was never fully written is transient whatever the cause
// (timeout, refused, DNS, reset while writing); one that was, or may have been,
// fully written is OutcomeUnknown. With a nil w, only errors that cannot occur
// after a connection was made count as transient.
func ClassifyTransport(provider string, err error, w *WriteState) *SendError {
	kind := describeNetError(err)
	sent := false
	if w != nil {
		sent = w.MaybeSent(writeWait)
	} else {
		sent = !beforeConnect(err)
	}
	if !sent {
		return &SendError{Class: Transient, Provider: provider, Err: err,
			Reason:       "the request never reached the provider (" + kind + ")",
			SuggestedFix: "none needed; Herald retries automatically"}
	}
	return &SendError{Class: OutcomeUnknown, Provider: provider, Err: err,
		Reason:       "the request reached the provider but no answer came back (" + kind + "); the message may have been sent",
		SuggestedFix: "do not resend by hand: Herald reconciles with the provider first; if it cannot, check the provider's log for this message"}
}

// writeWait bounds how long ClassifyTransport waits for the transport to
// report the fate of an in-flight write after the request was abandoned.
const writeWait = time.Second

// beforeConnect reports whether err can only happen before a connection to
// the provider existed.
func beforeConnect(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// describeNetError names a network failure in a few words for Reason.
func describeNetError(err error) string {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case errors.As(err, &dnsErr):
		return "DNS lookup failed"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection reset"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return "timeout"
	default:
		return "network error"
	}
}

// RetryAfter returns how long the response headers ask the client to wait:
// Retry-After in seconds or as an HTTP date, else SendGrid's X-RateLimit-Reset
// in unix seconds. It returns 0 when neither is present or usable.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Duration(secs)*time.Second, 0)
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
	}
	if v := strings.TrimSpace(h.Get("X-RateLimit-Reset")); v != "" {
		if unix, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(unix, 0).Sub(now), 0)
		}
	}
	return 0
}

var (
	emailPattern = regexp.MustCompile(`[^\s'"<>(),;:]+@[^\s'"<>(),;:]+\.[A-Za-z]{2,}`)
	phonePattern = regexp.MustCompile(`(^|[^\w+])(\+?\(?\d[\d\- ().]{5,}\d)\b`)
)

// Redact masks email addresses and phone numbers in s, keeping the last two
// digits of a number and the domain of an address so staff can still tell
// which contact detail is meant.
func Redact(s string) string {
	s = emailPattern.ReplaceAllStringFunc(s, func(addr string) string {
		at := strings.LastIndexByte(addr, '@')
		return "***" + addr[at:]
	})
	return phonePattern.ReplaceAllStringFunc(s, func(match string) string {
		sub := phonePattern.FindStringSubmatch(match)
		lead, num := sub[1], sub[2]
		digits := 0
		for _, r := range num {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits < 7 {
			return match
		}
		return lead + "***" + num[len(num)-2:]
	})
}
