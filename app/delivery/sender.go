// Package delivery sends rendered messages to clients through a provider
// (SendGrid for email, Twilio for SMS, or a local sandbox) and classifies every
// failure so the caller knows whether to retry, dead-letter, or reconcile.
//
// The package declares the Sender interface that the provider adapters in
// app/delivery/sendgrid, app/delivery/twilio and app/delivery/sandbox implement.
// Providers offer no idempotency key, so a send whose outcome is unknown must
// never be retried blindly: see Class and SendError.
package delivery

import (
	"context"
	"errors"
	"fmt"
)

// Channels a message can be sent on.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// ErrInvalidMessage reports an Outgoing that cannot be sent as it stands (no
// recipient, no content, wrong channel for the sender). Classify treats it as
// permanent: retrying the same frozen content cannot succeed.
var ErrInvalidMessage = errors.New("invalid message")

// ErrTemplate reports a message whose template failed to render. Classify treats
// it as permanent; the fix is to correct the template and resend.
var ErrTemplate = errors.New("template error")

// Outgoing is one message, already rendered and frozen in the ledger, ready to
// hand to a provider.
type Outgoing struct {
	// MessageID is Herald's ledger id. Providers echo it back (SendGrid
	// custom_args, Twilio status callback URL) so events can be matched; it is
	// the only identifier sent to providers besides the recipient.
	MessageID int64
	// Channel is ChannelEmail or ChannelSMS.
	Channel string
	// To is an email address or an E.164 phone number.
	To string
	// Subject, HTML and Text are the email parts; at least one of HTML and Text
	// is required for email.
	Subject, HTML, Text string
	// Body is the SMS text.
	Body string
	// FromName is the e-mail sender's display name; empty uses the
	// sender's configured one.
	FromName string
	// IdempotencyKey is the ledger's dedupe key. Neither SendGrid nor Twilio
	// accepts one, so it is not sent to them; the sandbox uses it to count
	// duplicate sends.
	IdempotencyKey string
}

// Validate reports, wrapping ErrInvalidMessage, what makes m unsendable.
func (m Outgoing) Validate() error {
	if m.To == "" {
		return fmt.Errorf("message %d: no recipient: %w", m.MessageID, ErrInvalidMessage)
	}
	switch m.Channel {
	case ChannelEmail:
		if m.Subject == "" {
			return fmt.Errorf("message %d: email without subject: %w", m.MessageID, ErrInvalidMessage)
		}
		if m.HTML == "" && m.Text == "" {
			return fmt.Errorf("message %d: email without content: %w", m.MessageID, ErrInvalidMessage)
		}
	case ChannelSMS:
		if m.Body == "" {
			return fmt.Errorf("message %d: sms without body: %w", m.MessageID, ErrInvalidMessage)
		}
	default:
		return fmt.Errorf("message %d: unknown channel %q: %w", m.MessageID, m.Channel, ErrInvalidMessage)
	}
	return nil
}

// Receipt is what a provider returned when it accepted a message.
type Receipt struct {
	// Provider names the adapter: "sendgrid", "twilio" or "sandbox".
	Provider string
	// ProviderID is the provider's id for the message (SendGrid X-Message-Id,
	// Twilio message SID), used to match later events and for Lookup.
	ProviderID string
	// Status is the provider's initial status: "accepted" (SendGrid),
	// "queued" or "accepted" (Twilio), "delivered" (sandbox).
	Status string
}

// Sender hands one message to a provider.
//
// Send returns a Receipt once the provider has accepted the message. Any error
// is a *SendError (use Classify to be safe with wrapped errors) whose Class
// tells the caller whether to retry, dead-letter or reconcile. Send never
// retries by itself.
type Sender interface {
	Send(ctx context.Context, m Outgoing) (Receipt, error)
}
