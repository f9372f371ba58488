package web

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/pause"
)

// CaseReader reads canonical cases by their CMS id, and their data
// findings; cases.Service implements it.
type CaseReader interface {
	GetByExternal(ctx context.Context, source, externalID string) (cases.Case, error)
	Findings(ctx context.Context, caseID int64) ([]cases.Finding, error)
}

// PauseChecker answers whether automation is paused for a case;
// pause.Service implements it (Pauses includes it).
type PauseChecker interface {
	Check(ctx context.Context, caseID, clientID int64) (pause.State, error)
}

// caseJSON is the API shape of GET /api/v1/cases/:case_id. case_id is the
// CMS's id (as in the URL); id and client_id are Herald's, client_id being
// the one GET /api/v1/clients/:client_id/timeline takes.
type caseJSON struct {
	ID                 int64          `json:"id"`
	Source             string         `json:"source"`
	ExternalID         string         `json:"case_id"`
	ClientID           int64          `json:"client_id"`
	CaseNumber         *string        `json:"case_number"`
	CaseType           *string        `json:"case_type"`
	Status             *string        `json:"status"`
	StatusRaw          *string        `json:"status_raw"`
	AttorneyID         *string        `json:"attorney_id"`
	ParalegalID        *string        `json:"paralegal_id"`
	NextCourtAt        *time.Time     `json:"next_court_at"`
	HearingConfirmedAt *time.Time     `json:"hearing_confirmed_at"`
	Version            int            `json:"version"`
	CMSUpdatedAt       *time.Time     `json:"cms_updated_at"`
	StatusChangedAt    *time.Time     `json:"status_changed_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
	Canonical          normalize.Case `json:"canonical"`
	Pause              pauseJSON      `json:"pause"`
	Findings           []findingJSON  `json:"findings"`
}

type pauseJSON struct {
	Paused    bool       `json:"paused"`
	Scope     string     `json:"scope,omitempty"`
	Reason    string     `json:"reason,omitempty"`
	By        string     `json:"by,omitempty"`
	Since     *time.Time `json:"since,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

type findingJSON struct {
	Field       string     `json:"field"`
	Code        string     `json:"code"`
	Raw         string     `json:"raw"`
	Suggestion  string     `json:"suggestion"`
	FirstSeenAt time.Time  `json:"first_seen_at"`
	LastSeenAt  time.Time  `json:"last_seen_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
}

// apiCase answers GET /api/v1/cases/:case_id: the canonical case, whether
// automation is paused for it (and by what), and its data findings. As in the
// pause API, :case_id is the CMS's case id and ?source= its source (default
// generic).
func apiCase(cr CaseReader, pc PauseChecker) fiber.Handler {
	return func(c *fiber.Ctx) error {
		source, ext := utils.CopyString(c.Query("source", "generic")), utils.CopyString(c.Params("case_id"))
		ctx := c.UserContext()
		k, err := cr.GetByExternal(ctx, source, ext)
		if err != nil {
			return err
		}
		st, err := pc.Check(ctx, k.ID, k.ClientID)
		if err != nil {
			return err
		}
		fs, err := cr.Findings(ctx, k.ID)
		if err != nil {
			return err
		}
		out := caseJSON{ID: k.ID, Source: k.Source, ExternalID: k.ExternalID, ClientID: k.ClientID, CaseNumber: k.CaseNumber,
			CaseType: k.CaseType, Status: k.Status, StatusRaw: k.StatusRaw, AttorneyID: k.AttorneyID, ParalegalID: k.ParalegalID,
			NextCourtAt: k.NextCourtAt, HearingConfirmedAt: k.HearingConfirmedAt, Version: k.Version, CMSUpdatedAt: k.CMSUpdatedAt,
			StatusChangedAt: k.StatusChangedAt, UpdatedAt: k.UpdatedAt, Canonical: k.Snapshot,
			Pause:    pauseJSON{Paused: st.Paused, Scope: st.Scope, Reason: st.Reason, By: st.By, ExpiresAt: st.ExpiresAt},
			Findings: make([]findingJSON, 0, len(fs))}
		if st.Paused && !st.Since.IsZero() {
			out.Pause.Since = &st.Since
		}
		for _, f := range fs {
			out.Findings = append(out.Findings, findingJSON{Field: f.Field, Code: f.Code, Raw: f.Raw, Suggestion: f.Suggestion,
				FirstSeenAt: f.FirstSeenAt, LastSeenAt: f.LastSeenAt, ResolvedAt: f.ResolvedAt})
		}
		return c.JSON(out)
	}
}

// paramID parses a positive integer route parameter.
func paramID(c *fiber.Ctx, name string) (int64, error) {
	raw := c.Params(name)
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, derrors.Invalid(name, fmt.Sprintf("%q is not an id", raw), "use the positive integer id")
	}
	return id, nil
}

// queryID parses an optional positive integer query parameter (0 when absent).
func queryID(c *fiber.Ctx, name string) (int64, error) {
	raw := c.Query(name)
	if raw == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, derrors.Invalid(name, fmt.Sprintf("%q is not an id", raw), "use the positive integer id")
	}
	return id, nil
}

// queryTime parses an optional RFC 3339 query parameter.
func queryTime(c *fiber.Ctx, name string) (time.Time, error) {
	raw := c.Query(name)
	if raw == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, raw)
	if err != nil {
		return time.Time{}, derrors.Invalid(name, fmt.Sprintf("%q is not an RFC 3339 time", raw), "e.g. 2026-03-02T15:00:00Z")
	}
	return t, nil
}

// queryLimit parses an optional limit (0 when absent).
func queryLimit(c *fiber.Ctx) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n <= 0 || n > 1000 {
		return 0, derrors.Invalid("limit", fmt.Sprintf("%q is out of range", raw), "use 1 to 1000")
	}
	return n, nil
}
