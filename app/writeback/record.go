package writeback

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/derrors"
)

// Record is what is written to the CMS: the body of the outbound webhook, and
// the content of a Clio note.
type Record struct {
	// ID is the outbox idempotency key ("msg:12", "in:7"); receivers dedupe
	// on it (it is also sent as the Idempotency-Key header).
	ID string `json:"id"`
	// Type is "message.sent" or "client.reply".
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Case       *CaseRef  `json:"case,omitempty"`
	Channel    string    `json:"channel"`
	// Direction is "outbound" (Herald to client) or "inbound".
	Direction string `json:"direction"`
	// Address is the client's number or email address.
	Address string `json:"address"`
	Subject string `json:"subject,omitempty"`
	Body    string `json:"body"`
	// Kind is the message kind (rule, reminder, staff_reply…) or the reply's
	// intent (reply, confirm, score, opt_out…).
	Kind string `json:"kind"`
	// HeraldMessageID is the ledger id of an outbound message.
	HeraldMessageID int64 `json:"herald_message_id,omitempty"`
}

// CaseRef names the case as the CMS knows it.
type CaseRef struct {
	Source     string `json:"source"`
	ExternalID string `json:"external_id"`
	CaseNumber string `json:"case_number,omitempty"`
}

// load reads the record for an outbox item.
func (s *Service) load(ctx context.Context, it item) (Record, error) {
	r := Record{ID: it.Key}
	var source, ext, number *string
	var err error
	if it.Kind == "message" {
		r.Type, r.Direction = "message.sent", "outbound"
		r.HeraldMessageID = *it.Message
		err = s.d.DB.Pool.QueryRow(ctx, `SELECT m.sent_at, m.channel, m.recipient, m.subject, m.body_text, m.kind,
				k.source, k.external_id, k.case_number
			FROM messages m LEFT JOIN cases k ON k.id = m.case_id WHERE m.id = $1`, *it.Message).
			Scan(&r.OccurredAt, &r.Channel, &r.Address, &r.Subject, &r.Body, &r.Kind, &source, &ext, &number)
	} else {
		r.Type, r.Direction = "client.reply", "inbound"
		err = s.d.DB.Pool.QueryRow(ctx, `SELECT i.created_at, i.channel, i.from_address, i.body, i.intent,
				k.source, k.external_id, k.case_number
			FROM inbound_messages i LEFT JOIN cases k ON k.id = i.case_id WHERE i.id = $1`, *it.Inbound).
			Scan(&r.OccurredAt, &r.Channel, &r.Address, &r.Body, &r.Kind, &source, &ext, &number)
	}
	if err != nil {
		return r, dbErr("load record", err)
	}
	r.OccurredAt = r.OccurredAt.UTC()
	if source != nil {
		r.Case = &CaseRef{Source: *source, ExternalID: *ext}
		if number != nil {
			r.Case.CaseNumber = *number
		}
	}
	return r, nil
}

// SignatureHeader carries the outbound webhook signature:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">", the scheme
// Herald's own CMS webhook uses, so receivers verify it the same way and
// reject old timestamps.
const SignatureHeader = "Herald-Signature"

// Sign returns the Herald-Signature value for body at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// toWebhook posts the record, signed. 2xx is success; 400, 401, 403, 404,
// 410 and 422 are permanent (the receiver refuses this record or is
// misconfigured); anything else is retried.
func (s *Service) toWebhook(ctx context.Context, r Record) error {
	body, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("%w: encode record: %w", ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.WebhookURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", r.ID)
	req.Header.Set(SignatureHeader, Sign(s.cfg.WebhookSecret, s.d.Clock.Now(), body))
	resp, err := s.d.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("post write-back webhook: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case permanentStatus(resp.StatusCode):
		return fmt.Errorf("%w: write-back webhook answered %d: %s", ErrPermanent, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return fmt.Errorf("write-back webhook answered %d: %s", resp.StatusCode, strings.TrimSpace(string(msg)))
}

func permanentStatus(code int) bool {
	switch code {
	case 400, 401, 403, 404, 410, 422:
		return true
	}
	return false
}

// toClio writes the record as a note on the matter. Clio has no idempotency
// key, so the note carries a marker ("[herald msg:12]") and a retry first
// looks for it: a note created by an attempt whose answer was lost is found,
// not duplicated.
func (s *Service) toClio(ctx context.Context, it item, r Record) (string, error) {
	if r.Case == nil {
		return "", fmt.Errorf("%w: the message has no case, so there is no Clio matter to note it on", ErrPermanent)
	}
	if _, err := strconv.ParseInt(r.Case.ExternalID, 10, 64); err != nil {
		return "", fmt.Errorf("%w: %q is not a Clio matter id", ErrPermanent, r.Case.ExternalID)
	}
	marker := "[herald " + r.ID + "]"
	if it.Attempts > 1 {
		id, found, err := s.d.Clio.FindNote(ctx, r.Case.ExternalID, marker)
		if err != nil {
			return "", clioErr(err)
		}
		if found {
			return id, nil
		}
	}
	n := noteFor(r, marker)
	id, err := s.d.Clio.CreateNote(ctx, r.Case.ExternalID, n.Subject, n.Detail, n.Date)
	return id, clioErr(err)
}

// clioErr makes Clio's refusals permanent: an unknown matter (NotFound) or a
// rejected request or token (InvalidArgument) fails the row at once, with a
// staff task; 5xx, rate limits and network errors are retried.
func clioErr(err error) error {
	if errors.Is(err, derrors.NotFound) || errors.Is(err, derrors.InvalidArgument) {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	return err
}

// Note is a Clio matter note.
type Note struct {
	Subject string
	Detail  string
	Date    time.Time
}

func noteFor(r Record, marker string) Note {
	var subject string
	switch {
	case r.Direction == "outbound" && r.Channel == "email":
		subject = "Herald emailed the client"
		if r.Subject != "" {
			subject += ": " + r.Subject
		}
	case r.Direction == "outbound":
		subject = "Herald texted the client"
	case r.Channel == "email":
		subject = "The client replied by email"
	default:
		subject = "The client replied by text"
	}
	detail := fmt.Sprintf("%s\n\n%s %s at %s (%s).\n%s", r.Body, map[string]string{"outbound": "To", "inbound": "From"}[r.Direction],
		r.Address, r.OccurredAt.Format(time.RFC3339), r.Kind, marker)
	return Note{Subject: subject, Detail: detail, Date: r.OccurredAt}
}
