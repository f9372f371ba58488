package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
)

// TwilioWebhooks applies Twilio status callbacks and inbound SMS
// (engagement.Service).
type TwilioWebhooks interface {
	HandleStatus(ctx context.Context, st engagement.TwilioStatus) (bool, error)
	HandleInbound(ctx context.Context, in engagement.InboundSMS) (engagement.InboundResult, error)
}

// TwilioVerifier checks X-Twilio-Signature (engagement.TwilioVerifier).
type TwilioVerifier interface {
	Verify(pathAndQuery string, body []byte, signature string) error
}

// twilioForm verifies the request signature on the raw body and returns the
// query and form parameters. A bad signature is 403.
func twilioForm(c *fiber.Ctx, v TwilioVerifier) (url.Values, url.Values, error) {
	body := bytes.Clone(c.Body())
	pathAndQuery := strings.Clone(c.OriginalURL())
	if err := v.Verify(pathAndQuery, body, c.Get(engagement.TwilioSignatureHeader)); err != nil {
		return nil, nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, nil, derrors.Invalid("body", "is not form-encoded", "send application/x-www-form-urlencoded parameters")
	}
	query, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return query, form, nil
}

// webhookTwilioStatus handles POST /webhooks/twilio/status?mid=<message id>:
// a status callback moves the message forward (never back) and acts on
// error codes. Answers 204.
func webhookTwilioStatus(v TwilioVerifier, s TwilioWebhooks) fiber.Handler {
	return func(c *fiber.Ctx) error {
		query, form, err := twilioForm(c, v)
		if err != nil {
			return err
		}
		st, err := engagement.ParseTwilioStatus(query, form)
		if err != nil {
			return err
		}
		if _, err := s.HandleStatus(c.UserContext(), st); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// twiml is Twilio's Messaging response.
type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Message string   `xml:"Message,omitempty"`
}

// webhookTwilioInbound handles POST /webhooks/twilio/inbound, an SMS a
// client sent, and answers TwiML: a <Message> only when Herald itself
// replies (a natural-language opt-out's one confirmation, a hearing
// confirmation, and STOP/START/HELP only when Twilio does not answer them:
// see engagement's keywordReply).
func webhookTwilioInbound(v TwilioVerifier, s TwilioWebhooks) fiber.Handler {
	return func(c *fiber.Ctx) error {
		_, form, err := twilioForm(c, v)
		if err != nil {
			return err
		}
		in, err := engagement.ParseInboundSMS(form)
		if err != nil {
			return err
		}
		r, err := s.HandleInbound(c.UserContext(), in)
		if err != nil {
			return err
		}
		out, err := xml.Marshal(twiml{Message: r.Reply})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
		return c.Send(append([]byte(xml.Header), out...))
	}
}
