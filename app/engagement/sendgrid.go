package engagement

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/jackc/pgx/v5"
)

// SendGrid's signed event webhook headers.
const (
	SendGridSignatureHeader = "X-Twilio-Email-Event-Webhook-Signature"
	SendGridTimestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"
)

// ReplayWindow is how far a signed webhook's timestamp may be from now.
const ReplayWindow = 5 * time.Minute

// messageIDArg is the custom_args key the SendGrid sender sets
// (sendgrid.MessageIDArg); SendGrid echoes custom args as top-level event
// fields.
const messageIDArg = "herald_message_id"

// SendGridVerifier checks SendGrid's Signed Event Webhook: an ECDSA P-256
// signature (ASN.1, base64) over the timestamp header followed by the raw
// body, with a replay window.
type SendGridVerifier struct {
	key   *ecdsa.PublicKey
	clock clock.Clock
}

// NewSendGridVerifier parses the webhook's public key as SendGrid shows it
// (base64 of the DER SubjectPublicKeyInfo, SENDGRID_WEBHOOK_PUBLIC_KEY).
func NewSendGridVerifier(publicKeyBase64 string, clk clock.Clock) (*SendGridVerifier, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(publicKeyBase64))
	if err != nil {
		return nil, fmt.Errorf("engagement: SENDGRID_WEBHOOK_PUBLIC_KEY is not base64: %w", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("engagement: SENDGRID_WEBHOOK_PUBLIC_KEY is not a public key: %w", err)
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("engagement: SENDGRID_WEBHOOK_PUBLIC_KEY is a %T, not an ECDSA key", pub)
	}
	return &SendGridVerifier{key: key, clock: clk}, nil
}

// Verify checks signature and timestamp over body. Every failure wraps
// derrors.Unauthorized.
func (v *SendGridVerifier) Verify(body []byte, signature, timestamp string) error {
	if signature == "" || timestamp == "" {
		return fmt.Errorf("%w: missing %s or %s header", derrors.Unauthorized, SendGridSignatureHeader, SendGridTimestampHeader)
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is not a unix time", derrors.Unauthorized, SendGridTimestampHeader)
	}
	if d := v.clock.Now().Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return fmt.Errorf("%w: timestamp is %s away from now, outside the %s replay window", derrors.Unauthorized, d.Round(time.Second), ReplayWindow)
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", derrors.Unauthorized)
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	if !ecdsa.VerifyASN1(v.key, h.Sum(nil), sig) {
		return fmt.Errorf("%w: signature does not match the body", derrors.Unauthorized)
	}
	return nil
}

// SendGridEvent is one event of a SendGrid event webhook batch.
type SendGridEvent struct {
	Email                string          `json:"email"`
	Timestamp            int64           `json:"timestamp"`
	Event                string          `json:"event"`
	EventID              string          `json:"sg_event_id"`
	SGMessageID          string          `json:"sg_message_id"`
	HeraldMessageID      json.RawMessage `json:"herald_message_id"`
	Type                 string          `json:"type"`
	BounceClassification string          `json:"bounce_classification"`
	Reason               string          `json:"reason"`
	MachineOpen          bool            `json:"sg_machine_open"`
	raw                  json.RawMessage
}

// messageID returns Herald's id from custom_args (a string, or a number).
func (e SendGridEvent) messageID() int64 {
	s := strings.Trim(string(e.HeraldMessageID), `"`)
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}

// providerMessageID is X-Message-Id, the part of sg_message_id before the
// first dot.
func (e SendGridEvent) providerMessageID() string {
	id, _, _ := strings.Cut(e.SGMessageID, ".")
	return id
}

// HardBounce reports whether a bounce event is permanent: SendGrid's
// "blocked" type and the temporary classifications (Technical, Content,
// Reputation, Frequency or Volume Too High, Unclassified) are soft.
func (e SendGridEvent) HardBounce() bool {
	if e.Event != "bounce" || e.Type == "blocked" {
		return false
	}
	switch strings.ToLower(e.BounceClassification) {
	case "", "invalid address", "mailbox unavailable", "invalid", "mailbox":
		return true
	}
	return false
}

// ParseSendGridBatch decodes a webhook body: a JSON array of events.
func ParseSendGridBatch(body []byte) ([]SendGridEvent, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(body, &raws); err != nil {
		return nil, derrors.Invalid("body", fmt.Sprintf("is not a JSON array of events: %v", err), "send SendGrid's event webhook batch")
	}
	out := make([]SendGridEvent, 0, len(raws))
	for i, r := range raws {
		var e SendGridEvent
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, derrors.Invalid(fmt.Sprintf("body[%d]", i), fmt.Sprintf("is not an event: %v", err), "")
		}
		if e.EventID == "" {
			sum := sha256.Sum256(r)
			e.EventID = "sha256:" + hex.EncodeToString(sum[:])
		}
		e.raw = bytes.Clone(r)
		out = append(out, e)
	}
	return out, nil
}

// BatchResult counts what a batch did.
type BatchResult struct {
	Applied, Duplicates, Unmatched int
}

// HandleSendGrid applies a verified batch. Each event is applied once (on
// sg_event_id); an event for an unknown message is stored unmatched. An error
// means the database failed: the caller answers 5xx and SendGrid resends
// the batch, whose applied events are then duplicates.
func (s *Service) HandleSendGrid(ctx context.Context, events []SendGridEvent) (BatchResult, error) {
	var r BatchResult
	for _, e := range events {
		applied, matched, err := s.sendGridEvent(ctx, e)
		if err != nil {
			return r, err
		}
		switch {
		case !applied:
			r.Duplicates++
		case !matched:
			r.Unmatched++
			r.Applied++
		default:
			r.Applied++
		}
		s.d.Log.InfoContext(ctx, "provider event", "provider", "sendgrid", "event_type", "sendgrid."+e.Event,
			"event_id", e.EventID, "message_id", e.messageID(), "to", telemetry.MaskEmail(e.Email),
			"result", map[bool]string{true: "applied", false: "duplicate"}[applied])
	}
	return r, nil
}

func (s *Service) sendGridEvent(ctx context.Context, e SendGridEvent) (applied, matched bool, err error) {
	if dup, err := s.seen(ctx, delivery.ProviderSendGrid, e.EventID); err != nil || dup {
		return false, false, err
	}
	now := s.d.Clock.Now()
	at := now
	if e.Timestamp > 0 {
		at = time.Unix(e.Timestamp, 0).UTC()
	}
	m, matched, err := s.findMessage(ctx, e.messageID(), delivery.ProviderSendGrid, e.providerMessageID())
	if err != nil {
		return false, false, err
	}
	// The status moves first: Advance is idempotent and forward-only, so if
	// the event insert below fails, the redelivered event finds it done.
	if matched {
		if err := s.sendGridStatus(ctx, m, e, at); err != nil {
			return false, false, err
		}
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return false, false, err
	}
	defer tx.Rollback(ctx)
	inserted, err := insertEvent(ctx, tx, providerEvent{Provider: delivery.ProviderSendGrid, EventID: e.EventID, Type: e.Event,
		MessageID: idPtr(m, matched), MachineOpen: e.Event == "open" && e.MachineOpen, Payload: e.raw, OccurredAt: &at}, now)
	if err != nil || !inserted {
		return false, false, err
	}
	if err := s.sendGridEffects(ctx, tx, m, matched, e); err != nil {
		return false, false, err
	}
	if err := tx.Commit(ctx); err != nil {
		return false, false, dbErr("commit sendgrid event", err)
	}
	return true, matched, nil
}

// sendGridStatus moves the message for the event. Machine opens (Apple Mail
// Privacy Protection and the like) prove delivery, not a reader.
func (s *Service) sendGridStatus(ctx context.Context, m msgRef, e SendGridEvent, at time.Time) error {
	switch e.Event {
	case "processed":
		return s.advance(ctx, m, ledger.StatusSent, at, "", "")
	case "delivered":
		return s.advance(ctx, m, ledger.StatusDelivered, at, "", "")
	case "open":
		if e.MachineOpen {
			return s.advance(ctx, m, ledger.StatusDelivered, at, "", "")
		}
		return s.advance(ctx, m, ledger.StatusOpened, at, "", "")
	case "click":
		return s.advance(ctx, m, ledger.StatusClicked, at, "", "")
	case "bounce":
		if !e.HardBounce() {
			return nil // soft: SendGrid keeps trying or it was a temporary block
		}
		_, reason, fix := delivery.CodeInfo(delivery.ProviderSendGrid, "bounce")
		return s.advance(ctx, m, ledger.StatusDead, at, withDetail(reason, e.Reason), fix)
	case "dropped":
		_, reason, fix := delivery.CodeInfo(delivery.ProviderSendGrid, "dropped")
		return s.advance(ctx, m, ledger.StatusDead, at, withDetail(reason, e.Reason), fix)
	}
	return nil
}

// sendGridEffects records what the event says about the client: a bad
// address, or an opt-out (spam report, unsubscribe) or opt-in.
func (s *Service) sendGridEffects(ctx context.Context, tx pgx.Tx, m msgRef, matched bool, e SendGridEvent) error {
	now := s.d.Clock.Now()
	address := e.Email
	if address == "" && matched {
		address = m.Recipient
	}
	var clientID *int64
	if matched {
		clientID = m.ClientID
	}
	bad := e.HardBounce() || (e.Event == "dropped" && strings.Contains(strings.ToLower(e.Reason), "bounced address"))
	if bad && clientID != nil && address != "" {
		if _, err := cases.FlagEmailBounced(ctx, tx, *clientID, address, withDetail("hard bounce", e.Reason), now); err != nil {
			return err
		}
	}
	ev := consent.Event{ClientID: clientID, Channel: delivery.ChannelEmail, Address: address, Actor: "client", Text: e.Event}
	switch e.Event {
	case "spamreport":
		ev.Action, ev.Source = consent.OptOut, consent.SourceSpamReport
	case "unsubscribe", "group_unsubscribe":
		ev.Action, ev.Source = consent.OptOut, consent.SourceUnsubscribeEvent
	case "group_resubscribe":
		ev.Action, ev.Source = consent.OptIn, consent.SourceUnsubscribeEvent
	default:
		return nil
	}
	if address == "" {
		return nil
	}
	if err := s.d.Consent.Record(ctx, tx, ev); err != nil {
		return dbErr("record email consent", err)
	}
	return nil
}

func withDetail(reason, detail string) string {
	if detail == "" {
		return reason
	}
	return reason + " (" + delivery.Redact(detail) + ")"
}
