// Package sendgrid sends email through the SendGrid v3 Mail Send API with the
// official sendgrid-go client, and classifies its failures for delivery.
package sendgrid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/heraldhq/herald/app/delivery"
)

// DefaultBaseURL is SendGrid's global API host.
const DefaultBaseURL = "https://api.sendgrid.com"

// MaxIdleConns is how many idle connections to SendGrid a Sender keeps for
// reuse; more than any worker's concurrency.
const MaxIdleConns = 64

// DefaultTimeout bounds one send when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// MessageIDArg is the custom_args key carrying Herald's message id; SendGrid
// echoes it in every event webhook payload.
const MessageIDArg = "herald_message_id"

// Config configures a Sender.
type Config struct {
	APIKey    string // SENDGRID_API_KEY
	BaseURL   string // SENDGRID_BASE_URL; DefaultBaseURL when empty
	FromEmail string // verified sender address
	FromName  string // display name, optional
	// HTTPClient is used for requests; a fresh client when nil. Its Timeout,
	// if any, applies on top of Timeout.
	HTTPClient *http.Client
	// Timeout bounds one send, including reading the answer; DefaultTimeout
	// when zero.
	Timeout time.Duration
	// Now is the clock used to turn rate-limit headers into durations;
	// time.Now when nil.
	Now func() time.Time
}

// Validate names the first missing or malformed setting.
func (c Config) Validate() error {
	switch {
	case c.APIKey == "":
		return errors.New("sendgrid: SENDGRID_API_KEY is required")
	case !strings.Contains(c.FromEmail, "@"):
		return fmt.Errorf("sendgrid: from address %q is not an email address", c.FromEmail)
	case c.BaseURL != "" && !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://"):
		return fmt.Errorf("sendgrid: SENDGRID_BASE_URL %q must start with http:// or https://", c.BaseURL)
	case c.Timeout < 0:
		return fmt.Errorf("sendgrid: timeout %v must not be negative", c.Timeout)
	}
	return nil
}

// Sender sends email through SendGrid. It implements delivery.Sender and is
// safe for concurrent use.
type Sender struct {
	cfg    Config
	client *rest.Client
}

// New returns a Sender for cfg, or the error from cfg.Validate.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		// http.DefaultTransport keeps 2 idle connections per host: with a
		// worker sending 20 at once, 18 of every 20 sends would open (and
		// in production, TLS-handshake) a new connection.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = MaxIdleConns
		hc = &http.Client{Transport: t}
	}
	return &Sender{cfg: cfg, client: &rest.Client{HTTPClient: hc}}, nil
}

// Send posts m to /v3/mail/send. On 202 it returns the X-Message-Id header as
// ProviderID and status "accepted". Every error is a *delivery.SendError:
// SendGrid's error messages become the Reason, 429 carries RetryAfter, and a
// timeout or reset after the request was written is OutcomeUnknown.
func (s *Sender) Send(ctx context.Context, m delivery.Outgoing) (delivery.Receipt, error) {
	if err := m.Validate(); err != nil {
		return delivery.Receipt{}, s.classify(err)
	}
	if m.Channel != delivery.ChannelEmail {
		return delivery.Receipt{}, s.classify(fmt.Errorf("sendgrid: cannot send %s message %d: %w", m.Channel, m.MessageID, delivery.ErrInvalidMessage))
	}
	if err := ctx.Err(); err != nil {
		// Nothing was sent: a zero WriteState says so.
		return delivery.Receipt{}, delivery.ClassifyTransport(delivery.ProviderSendGrid, err, &delivery.WriteState{})
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	ctx, ws := delivery.TrackWrite(ctx)

	req := sg.GetRequest(s.cfg.APIKey, "/v3/mail/send", s.cfg.BaseURL)
	req.Method = rest.Post
	req.Body = mail.GetRequestBody(s.message(m))

	resp, err := s.client.SendWithContext(ctx, req)
	if resp == nil {
		// No status line arrived (or the request could not be built).
		return delivery.Receipt{}, delivery.ClassifyTransport(delivery.ProviderSendGrid,
			fmt.Errorf("sendgrid: send message %d: %w", m.MessageID, err), ws)
	}
	header := http.Header(resp.Headers)
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The status line is the acceptance; a body read error after it
		// does not undo the send. The id may be missing from unusual
		// proxies; events still match on custom_args.
		return delivery.Receipt{
			Provider:   delivery.ProviderSendGrid,
			ProviderID: header.Get("X-Message-Id"),
			Status:     "accepted",
		}, nil
	}
	return delivery.Receipt{}, s.statusError(m.MessageID, resp.StatusCode, header, resp.Body)
}

// message builds the v3 mail body: plain text before HTML as SendGrid
// requires, and Herald's message id (never PII) in custom_args.
func (s *Sender) message(m delivery.Outgoing) *mail.SGMailV3 {
	msg := mail.NewV3Mail()
	from := s.cfg.FromName
	if m.FromName != "" {
		from = m.FromName
	}
	msg.SetFrom(mail.NewEmail(from, s.cfg.FromEmail))
	msg.Subject = m.Subject
	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail("", m.To))
	msg.AddPersonalizations(p)
	if m.Text != "" {
		msg.AddContent(mail.NewContent("text/plain", m.Text))
	}
	if m.HTML != "" {
		msg.AddContent(mail.NewContent("text/html", m.HTML))
	}
	msg.SetCustomArg(MessageIDArg, strconv.FormatInt(m.MessageID, 10))
	return msg
}

// apiError is SendGrid's error body.
type apiError struct {
	Errors []struct {
		Message string  `json:"message"`
		Field   *string `json:"field"`
		Help    any     `json:"help"`
	} `json:"errors"`
}

// messages returns SendGrid's error messages, prefixed by their field.
func (e apiError) messages() string {
	parts := make([]string, 0, len(e.Errors))
	for _, fe := range e.Errors {
		msg := strings.TrimSpace(fe.Message)
		if fe.Field != nil && *fe.Field != "" {
			msg = *fe.Field + ": " + msg
		}
		if msg != "" {
			parts = append(parts, msg)
		}
	}
	return strings.Join(parts, "; ")
}

// statusError classifies a non-2xx answer.
func (s *Sender) statusError(messageID int64, status int, header http.Header, body string) *delivery.SendError {
	class, reason, fix := delivery.StatusInfo(delivery.ProviderSendGrid, status)
	var parsed apiError
	detail := ""
	if json.Unmarshal([]byte(body), &parsed) == nil {
		detail = delivery.Redact(parsed.messages())
	}
	// For a plain 400 SendGrid's own message is the useful reason; for the
	// statuses with a specific meaning keep ours and add theirs.
	switch {
	case detail != "" && status == http.StatusBadRequest:
		reason = detail
	case detail != "":
		reason += " (SendGrid: " + detail + ")"
	}
	e := &delivery.SendError{
		Class:        class,
		Provider:     delivery.ProviderSendGrid,
		HTTPStatus:   status,
		Code:         strconv.Itoa(status),
		Reason:       reason,
		SuggestedFix: fix,
		Err:          fmt.Errorf("sendgrid: send message %d: HTTP %d", messageID, status),
	}
	if class == delivery.Transient {
		e.RetryAfter = delivery.RetryAfter(header, s.cfg.Now())
	}
	return e
}

func (s *Sender) classify(err error) *delivery.SendError {
	e := delivery.Classify(err)
	e.Provider = delivery.ProviderSendGrid
	return e
}
