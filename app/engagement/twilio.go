package engagement

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twilio/twilio-go/client"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
)

// TwilioSignatureHeader carries Twilio's request signature.
const TwilioSignatureHeader = "X-Twilio-Signature"

// TwilioVerifier checks X-Twilio-Signature: HMAC-SHA1, keyed with the auth
// token, over the full URL Twilio called (HERALD_PUBLIC_URL + path + query)
// followed by every POST parameter name and value sorted by name. It uses
// twilio-go's own RequestValidator (constant-time, with and without the
// default port) rather than a re-implementation.
type TwilioVerifier struct {
	publicURL string
	v         client.RequestValidator
	empty     bool
}

// NewTwilioVerifier returns a verifier for requests to publicURL signed with
// authToken. With an empty token every request is rejected.
func NewTwilioVerifier(publicURL, authToken string) *TwilioVerifier {
	return &TwilioVerifier{publicURL: strings.TrimRight(publicURL, "/"), v: client.NewRequestValidator(authToken), empty: authToken == ""}
}

// Verify checks signature for a form POST to pathAndQuery (as received,
// e.g. "/webhooks/twilio/status?mid=12") with body. Failures wrap
// derrors.Forbidden.
func (t *TwilioVerifier) Verify(pathAndQuery string, body []byte, signature string) error {
	switch {
	case t.empty:
		return fmt.Errorf("%w: TWILIO_AUTH_TOKEN is not set, so Twilio webhooks cannot be verified", derrors.Forbidden)
	case signature == "":
		return fmt.Errorf("%w: missing %s header", derrors.Forbidden, TwilioSignatureHeader)
	case !t.v.ValidateBody(t.publicURL+pathAndQuery, body, signature):
		return fmt.Errorf("%w: %s does not match (is HERALD_PUBLIC_URL the URL Twilio calls?)", derrors.Forbidden, TwilioSignatureHeader)
	}
	return nil
}

// TwilioStatus is one Twilio status callback.
type TwilioStatus struct {
	// MessageID is Herald's id from the callback URL (?mid=), 0 if absent.
	MessageID  int64
	MessageSid string
	Status     string // queued, sending, sent, delivered, undelivered, failed, read, canceled
	ErrorCode  string
	To         string
	// Params are every form parameter, stored as the event payload.
	Params url.Values
}

// ParseTwilioStatus reads a callback's form body and query.
func ParseTwilioStatus(query url.Values, form url.Values) (TwilioStatus, error) {
	st := TwilioStatus{MessageSid: form.Get("MessageSid"), Status: strings.ToLower(form.Get("MessageStatus")),
		ErrorCode: form.Get("ErrorCode"), To: form.Get("To"), Params: form}
	if st.MessageSid == "" {
		st.MessageSid = form.Get("SmsSid")
	}
	if st.Status == "" {
		st.Status = strings.ToLower(form.Get("SmsStatus"))
	}
	if st.ErrorCode == "0" {
		st.ErrorCode = ""
	}
	if mid := query.Get("mid"); mid != "" {
		id, err := strconv.ParseInt(mid, 10, 64)
		if err != nil || id <= 0 {
			return st, derrors.Invalid("mid", fmt.Sprintf("%q is not a message id", mid), "use the callback URL Herald gave Twilio")
		}
		st.MessageID = id
	}
	if st.MessageSid == "" || st.Status == "" {
		return st, derrors.Invalid("MessageSid", "MessageSid and MessageStatus are required", "send Twilio's status callback parameters")
	}
	return st, nil
}

// HandleStatus applies a status callback: the message moves forward
// (sent → delivered, or dead for undelivered/failed with the error code's
// reason and fix), Herald learns the SID if the send's answer was lost, and
// error codes with consequences act on the client (30006/21614 → landline
// finding, 21610 → SMS opt-out). Twilio sends no event id; the SID and status
// together identify a callback, so a repeated one changes nothing.
func (s *Service) HandleStatus(ctx context.Context, st TwilioStatus) (applied bool, err error) {
	eventID := st.MessageSid + ":" + st.Status
	if st.ErrorCode != "" {
		eventID += ":" + st.ErrorCode
	}
	if dup, err := s.seen(ctx, delivery.ProviderTwilio, eventID); err != nil || dup {
		return false, err
	}
	now := s.d.Clock.Now()
	m, matched, err := s.findMessage(ctx, st.MessageID, delivery.ProviderTwilio, st.MessageSid)
	if err != nil {
		return false, err
	}
	if matched {
		if _, err := s.d.Ledger.AttachProviderID(ctx, m.ID, delivery.ProviderTwilio, st.MessageSid); err != nil {
			return false, dbErr("attach provider id", err)
		}
		if err := s.twilioStatus(ctx, m, st.Status, st.ErrorCode, now); err != nil {
			return false, err
		}
	}
	payload, _ := json.Marshal(flatten(st.Params))
	tx, err := s.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(ctx)
	inserted, err := insertEvent(ctx, tx, providerEvent{Provider: delivery.ProviderTwilio, EventID: eventID, Type: st.Status,
		MessageID: idPtr(m, matched), Payload: payload, OccurredAt: &now}, now)
	if err != nil || !inserted {
		return false, err
	}
	if matched {
		if err := s.twilioEffects(ctx, tx, m, st.ErrorCode, now); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, dbErr("commit twilio status", err)
	}
	s.d.Log.InfoContext(ctx, "provider event", "provider", "twilio", "event_type", "twilio."+st.Status,
		"message_id", m.ID, "error_code", st.ErrorCode, "result", "applied")
	return true, nil
}

// twilioStatus moves the message for a Twilio status (from a callback or a
// lookup).
func (s *Service) twilioStatus(ctx context.Context, m msgRef, status, code string, at time.Time) error {
	switch status {
	case "sent":
		return s.advance(ctx, m, ledger.StatusSent, at, "", "")
	case "delivered", "read":
		return s.advance(ctx, m, ledger.StatusDelivered, at, "", "")
	case "undelivered", "failed":
		_, reason, fix := delivery.CodeInfo(delivery.ProviderTwilio, code)
		if reason == "" {
			reason = fmt.Sprintf("Twilio reports the message %s (error %s).", status, code)
			fix = "check the client's number, then retry from the dead-letter inbox"
		}
		return s.advance(ctx, m, ledger.StatusDead, at, reason, fix)
	}
	return nil
}

// twilioEffects acts on the client for error codes that say something about
// the number.
func (s *Service) twilioEffects(ctx context.Context, tx pgx.Tx, m msgRef, code string, now time.Time) error {
	switch code {
	case "30006", "21614":
		if m.ClientID != nil {
			_, reason, _ := delivery.CodeInfo(delivery.ProviderTwilio, code)
			if _, err := cases.FlagLandline(ctx, tx, *m.ClientID, m.Recipient, code+": "+reason, now); err != nil {
				return err
			}
		}
	case "21610":
		_, reason, _ := delivery.CodeInfo(delivery.ProviderTwilio, code)
		err := s.d.Consent.Record(ctx, tx, consent.Event{ClientID: m.ClientID, Channel: delivery.ChannelSMS, Address: m.Recipient,
			Action: consent.OptOut, Source: consent.SourceProviderError, Text: code + " " + reason, Actor: "system"})
		if err != nil {
			return dbErr("record provider opt-out", err)
		}
	}
	return nil
}

// flatten turns form values into a JSON object of first values.
func flatten(v url.Values) map[string]string {
	out := make(map[string]string, len(v))
	for k, vs := range v {
		if len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}
