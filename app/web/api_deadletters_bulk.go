package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
)

// bulkDeadLetterRequest is the body of the bulk dead-letter actions: the
// filter (the same ledger.DeadFilter the list and the portal's bulk buttons
// use) and, for resolve, the note.
type bulkDeadLetterRequest struct {
	// Status is required: dead, or outcome_unknown. Retrying an
	// outcome_unknown message may send it a second time, so a caller must
	// ask for those explicitly, never by accident of an empty filter.
	Status  string `json:"status"`
	Channel string `json:"channel"`
	// Code is the reason class the inbox groups by (last_error_code):
	// a provider code such as 21211 or 30006, or Herald's own such as
	// template_error, transient_error, bounce.
	Code     string  `json:"code"`
	CaseID   int64   `json:"case_id"`
	ClientID int64   `json:"client_id"`
	Since    string  `json:"since"`
	Until    string  `json:"until"`
	IDs      []int64 `json:"ids"`
	// Limit caps how many are acted on (default 100, at most 1000).
	Limit int    `json:"limit"`
	Note  string `json:"note"`
}

// bulkDeadLetterResult answers a bulk action.
type bulkDeadLetterResult struct {
	Count int              `json:"count"`
	Items []ledger.Message `json:"items"`
}

// parseBulkDeadLetters reads and checks the body into a filter.
func parseBulkDeadLetters(c *fiber.Ctx) (ledger.DeadFilter, bulkDeadLetterRequest, error) {
	var req bulkDeadLetterRequest
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return ledger.DeadFilter{}, req, derrors.Invalid("body", fmt.Sprintf("is not a valid filter: %v", err),
			`send JSON such as {"status": "dead", "channel": "sms", "code": "21211", "since": "2026-03-01T00:00:00Z"}`)
	}
	var fs derrors.Fields
	if req.Status == "" {
		fs = append(fs, &derrors.FieldError{Field: "status", Problem: "is required",
			Fix: "choose dead or outcome_unknown (an outcome_unknown message may already have reached the client)"})
	}
	f := ledger.DeadFilter{Status: req.Status, Channel: req.Channel, Code: strings.TrimSpace(req.Code), CaseID: req.CaseID,
		ClientID: req.ClientID, IDs: req.IDs, Limit: req.Limit}
	for _, t := range []struct {
		name, raw string
		dst       *time.Time
	}{{"since", req.Since, &f.Since}, {"until", req.Until, &f.Until}} {
		if t.raw == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.raw)
		if err != nil {
			fs = append(fs, &derrors.FieldError{Field: t.name, Problem: fmt.Sprintf("%q is not an RFC 3339 time", t.raw), Fix: "e.g. 2026-03-02T15:00:00Z"})
			continue
		}
		*t.dst = v
	}
	if req.CaseID < 0 || req.ClientID < 0 {
		fs = append(fs, &derrors.FieldError{Field: "case_id/client_id", Problem: "must be positive", Fix: "use the ids from GET /api/v1/dead-letters"})
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		fs = append(fs, &derrors.FieldError{Field: "since", Problem: "is not before until", Fix: "give a period with since < until"})
	}
	if err := fs.Err(); err != nil {
		return f, req, err
	}
	return f, req, f.Validate()
}

// apiBulkRetryDeadLetters answers POST /api/v1/dead-letters/retry: every
// unresolved dead letter matching the filter goes back to pending and is
// sent once more (delivery.Service.RetryWhere, the function the portal's
// bulk retry calls), each retry audited.
func apiBulkRetryDeadLetters(r BulkRetrier) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, _, err := parseBulkDeadLetters(c)
		if err != nil {
			return err
		}
		ms, err := r.RetryWhere(c.UserContext(), f, ledgerActor(c))
		if err != nil {
			return err
		}
		return c.JSON(bulkDeadLetterResult{Count: len(ms), Items: nonNil(ms)})
	}
}

// apiBulkResolveDeadLetters answers POST /api/v1/dead-letters/resolve:
// every unresolved dead letter matching the filter leaves the inbox with
// the required note (ledger.Store.ResolveWhere, as the portal), audited.
func apiBulkResolveDeadLetters(r BulkResolver) fiber.Handler {
	return func(c *fiber.Ctx) error {
		f, req, err := parseBulkDeadLetters(c)
		if err != nil {
			return err
		}
		if strings.TrimSpace(req.Note) == "" {
			return derrors.Invalid("note", "is required", "say what was done about these messages, e.g. \"fixed the numbers in the CMS\"")
		}
		ms, err := r.ResolveWhere(c.UserContext(), f, ledgerActor(c), req.Note)
		if err != nil {
			return err
		}
		return c.JSON(bulkDeadLetterResult{Count: len(ms), Items: nonNil(ms)})
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
