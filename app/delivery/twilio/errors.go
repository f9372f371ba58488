package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/heraldhq/herald/app/delivery"
)

// transport binds twilio-go's context-less requests to one call's context,
// points them at BaseURL, and keeps the last response's status and headers,
// which twilio-go drops on errors (Retry-After lives there).
type transport struct {
	ctx     context.Context
	base    http.RoundTripper
	rewrite *url.URL

	status int
	header http.Header
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(t.ctx)
	if t.rewrite != nil {
		req.URL.Scheme = t.rewrite.Scheme
		req.URL.Host = t.rewrite.Host
		req.URL.Path = t.rewrite.Path + req.URL.Path
		req.Host = ""
	}
	resp, err := t.base.RoundTrip(req)
	if resp != nil {
		t.status, t.header = resp.StatusCode, resp.Header
	}
	return resp, err
}

// classify turns an error from twilio-go into a *delivery.SendError.
func (s *Sender) classify(err error, tr *transport, ws *delivery.WriteState) *delivery.SendError {
	var apiErr *client.TwilioRestError
	switch {
	case errors.As(err, &apiErr):
		return s.apiError(apiErr, tr)
	case tr.status >= 400:
		// An error status whose body was not Twilio's JSON (a proxy's 503).
		class, reason, fix := delivery.StatusInfo(delivery.ProviderTwilio, tr.status)
		return &delivery.SendError{Class: class, Provider: delivery.ProviderTwilio, HTTPStatus: tr.status,
			Code: strconv.Itoa(tr.status), Reason: reason, SuggestedFix: fix,
			RetryAfter: s.retryAfter(class, tr), Err: err}
	case tr.status != 0:
		// Twilio said yes, but the body was cut or unreadable: the message
		// exists and we do not know its SID.
		return &delivery.SendError{Class: delivery.OutcomeUnknown, Provider: delivery.ProviderTwilio, HTTPStatus: tr.status,
			Reason:       fmt.Sprintf("Twilio answered %d but the response could not be read; the message was probably created", tr.status),
			SuggestedFix: "do not resend by hand: wait for the status callback or check Twilio's message log",
			Err:          err}
	}
	return delivery.ClassifyTransport(delivery.ProviderTwilio, err, ws)
}

// apiError classifies Twilio's JSON error by code, then by HTTP status.
func (s *Sender) apiError(e *client.TwilioRestError, tr *transport) *delivery.SendError {
	status := e.Status
	if status == 0 {
		status = tr.status
	}
	code := strconv.Itoa(e.Code)
	message := delivery.Redact(e.Message)
	class, reason, fix := delivery.CodeInfo(delivery.ProviderTwilio, code)
	if class == "" {
		class, reason, fix = delivery.StatusInfo(delivery.ProviderTwilio, status)
		if message != "" {
			reason = message
		}
	}
	if class == "" {
		// A 2xx/3xx carrying an error body should not happen; be safe.
		class, reason = delivery.OutcomeUnknown, "unexpected Twilio answer: "+message
	}
	return &delivery.SendError{
		Class:        class,
		Provider:     delivery.ProviderTwilio,
		HTTPStatus:   status,
		Code:         code,
		Reason:       reason,
		SuggestedFix: fix,
		RetryAfter:   s.retryAfter(class, tr),
		OptedOut:     code == "21610",
		Err:          fmt.Errorf("twilio error %s: %s", code, message),
	}
}

func (s *Sender) retryAfter(class delivery.Class, tr *transport) time.Duration {
	if class != delivery.Transient || tr.header == nil {
		return 0
	}
	return delivery.RetryAfter(tr.header, s.cfg.Now())
}
