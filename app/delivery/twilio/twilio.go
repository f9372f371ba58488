// Package twilio sends SMS through Twilio's Programmable Messaging API with the
// official twilio-go client, classifies its failures for delivery, and looks
// messages up for reconciliation.
package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	twiliosdk "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/heraldhq/herald/app/delivery"
)

// DefaultBaseURL is Twilio's REST API host.
const DefaultBaseURL = "https://api.twilio.com"

// MaxIdleConns is how many idle connections to Twilio a Sender keeps for
// reuse; more than any worker's concurrency.
const MaxIdleConns = 64

// DefaultTimeout bounds one request when Config.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// StatusCallbackPath is where Herald receives Twilio status callbacks.
// StatusCallbackURL appends the message id as the query parameter
// MessageIDParam, so a callback can be matched to the ledger even when the send
// ended as outcome_unknown and Herald never learnt the message SID.
const (
	StatusCallbackPath = "/webhooks/twilio/status"
	MessageIDParam     = "mid"
)

// ErrNotFound reports that Twilio has no message with the SID looked up.
var ErrNotFound = errors.New("twilio: message not found")

// Config configures a Sender.
type Config struct {
	AccountSID string // TWILIO_ACCOUNT_SID
	AuthToken  string // TWILIO_AUTH_TOKEN
	// FromNumber (TWILIO_FROM_NUMBER, E.164) or MessagingServiceSID
	// (TWILIO_MESSAGING_SERVICE_SID) is required; the service wins when both
	// are set.
	FromNumber          string
	MessagingServiceSID string
	// BaseURL (TWILIO_BASE_URL) replaces https://api.twilio.com, for local
	// fakes; DefaultBaseURL when empty.
	BaseURL string
	// PublicURL is Herald's externally reachable base URL; when set, each
	// message asks Twilio for status callbacks at StatusCallbackURL.
	PublicURL string
	// HTTPClient supplies the transport, timeout and jar; a fresh client when
	// nil. Redirects are never followed.
	HTTPClient *http.Client
	// Timeout bounds one request; DefaultTimeout when zero.
	Timeout time.Duration
	// Now is the clock for Retry-After dates; time.Now when nil.
	Now func() time.Time
}

// Validate names the first missing or malformed setting.
func (c Config) Validate() error {
	switch {
	case c.AccountSID == "":
		return errors.New("twilio: TWILIO_ACCOUNT_SID is required")
	case c.AuthToken == "":
		return errors.New("twilio: TWILIO_AUTH_TOKEN is required")
	case c.FromNumber == "" && c.MessagingServiceSID == "":
		return errors.New("twilio: TWILIO_FROM_NUMBER or TWILIO_MESSAGING_SERVICE_SID is required")
	case c.FromNumber != "" && !strings.HasPrefix(c.FromNumber, "+"):
		return fmt.Errorf("twilio: TWILIO_FROM_NUMBER %q must be in E.164 form (+15551234567)", c.FromNumber)
	case c.Timeout < 0:
		return fmt.Errorf("twilio: timeout %v must not be negative", c.Timeout)
	}
	for name, raw := range map[string]string{"TWILIO_BASE_URL": c.BaseURL, "public URL": c.PublicURL} {
		if raw == "" {
			continue
		}
		if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("twilio: %s %q must be an absolute http(s) URL", name, raw)
		}
	}
	return nil
}

// StatusCallbackURL returns the status callback URL for messageID under
// publicURL: <publicURL>/webhooks/twilio/status?mid=<messageID>.
func StatusCallbackURL(publicURL string, messageID int64) string {
	return strings.TrimRight(publicURL, "/") + StatusCallbackPath + "?" + MessageIDParam + "=" + strconv.FormatInt(messageID, 10)
}

// Sender sends SMS through Twilio. It implements delivery.Sender and is safe
// for concurrent use.
type Sender struct {
	cfg     Config
	base    *url.URL // nil when talking to the real Twilio host
	httpCli http.Client
}

// New returns a Sender for cfg, or the error from cfg.Validate.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Sender{cfg: cfg}
	if cfg.HTTPClient != nil {
		s.httpCli = *cfg.HTTPClient
	}
	if s.httpCli.Transport == nil {
		// http.DefaultTransport keeps 2 idle connections per host: with a
		// worker sending 20 at once, most sends would open (and
		// TLS-handshake) a new connection.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = MaxIdleConns
		s.httpCli.Transport = t
	}
	s.httpCli.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if cfg.BaseURL != "" && strings.TrimRight(cfg.BaseURL, "/") != DefaultBaseURL {
		s.base, _ = url.Parse(strings.TrimRight(cfg.BaseURL, "/")) // checked by Validate
	}
	return s, nil
}

// Send creates a Twilio message for m. On success the Receipt carries the
// message SID and Twilio's initial status ("queued", or "accepted" with a
// messaging service). Every error is a *delivery.SendError classified from
// Twilio's error code (21610 sets OptedOut), the HTTP status, or how far the
// request got.
func (s *Sender) Send(ctx context.Context, m delivery.Outgoing) (delivery.Receipt, error) {
	if err := m.Validate(); err != nil {
		return delivery.Receipt{}, s.invalid(err)
	}
	if m.Channel != delivery.ChannelSMS {
		return delivery.Receipt{}, s.invalid(fmt.Errorf("twilio: cannot send %s message %d: %w", m.Channel, m.MessageID, delivery.ErrInvalidMessage))
	}
	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To)
	params.SetBody(m.Body)
	if s.cfg.MessagingServiceSID != "" {
		params.SetMessagingServiceSid(s.cfg.MessagingServiceSID)
	} else {
		params.SetFrom(s.cfg.FromNumber)
	}
	if s.cfg.PublicURL != "" {
		params.SetStatusCallback(StatusCallbackURL(s.cfg.PublicURL, m.MessageID))
	}

	var msg *openapi.ApiV2010Message
	err := s.call(ctx, func(api *openapi.ApiService) (err error) {
		msg, err = api.CreateMessage(params)
		return err
	})
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("twilio: send message %d: %w", m.MessageID, err)
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return delivery.Receipt{}, &delivery.SendError{Class: delivery.OutcomeUnknown, Provider: delivery.ProviderTwilio,
			Reason:       "Twilio answered without a message SID; the message may have been sent",
			SuggestedFix: "do not resend by hand: wait for the status callback or check Twilio's message log",
			Err:          fmt.Errorf("twilio: send message %d: empty sid", m.MessageID)}
	}
	r := delivery.Receipt{Provider: delivery.ProviderTwilio, ProviderID: *msg.Sid}
	if msg.Status != nil {
		r.Status = *msg.Status
	}
	return r, nil
}

// Lookup fetches message sid for reconciliation and returns Twilio's current
// status ("queued", "sent", "delivered", "undelivered", "failed", …) and error
// code ("" when none; classify it with delivery.CodeInfo). A SID Twilio does
// not know returns an error wrapping ErrNotFound.
func (s *Sender) Lookup(ctx context.Context, sid string) (status, errorCode string, err error) {
	var msg *openapi.ApiV2010Message
	err = s.call(ctx, func(api *openapi.ApiService) (err error) {
		msg, err = api.FetchMessage(sid, nil)
		return err
	})
	if err != nil {
		var se *delivery.SendError
		if errors.As(err, &se) && se.HTTPStatus == http.StatusNotFound {
			se.Err = fmt.Errorf("%w: %w", ErrNotFound, se.Err)
		}
		return "", "", fmt.Errorf("twilio: lookup %s: %w", sid, err)
	}
	if msg.Status != nil {
		status = *msg.Status
	}
	if msg.ErrorCode != nil && *msg.ErrorCode != 0 {
		errorCode = strconv.Itoa(*msg.ErrorCode)
	}
	return status, errorCode, nil
}

// call runs one SDK request bound to ctx and classifies its error. twilio-go
// builds requests with context.Background(), so each call gets its own
// twilio-go client whose transport substitutes ctx (with the write tracker)
// and rewrites the host to BaseURL.
func (s *Sender) call(ctx context.Context, do func(*openapi.ApiService) error) error {
	if err := ctx.Err(); err != nil {
		return delivery.ClassifyTransport(delivery.ProviderTwilio, err, &delivery.WriteState{})
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	ctx, ws := delivery.TrackWrite(ctx)
	tr := &transport{ctx: ctx, base: s.httpCli.Transport, rewrite: s.base}
	hc := s.httpCli
	hc.Transport = tr
	c := &client.Client{Credentials: client.NewCredentials(s.cfg.AccountSID, s.cfg.AuthToken), HTTPClient: &hc}
	c.SetAccountSid(s.cfg.AccountSID)
	rest := twiliosdk.NewRestClientWithParams(twiliosdk.ClientParams{Client: c})
	if s.base != nil {
		// Edge and region would rename the host we rewrite anyway.
		rest.RequestHandler.Edge, rest.RequestHandler.Region = "", ""
	}
	err := do(rest.Api)
	if err == nil {
		return nil
	}
	return s.classify(err, tr, ws)
}

func (s *Sender) invalid(err error) *delivery.SendError {
	e := delivery.Classify(err)
	e.Provider = delivery.ProviderTwilio
	return e
}
