package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/sanitize"
)

// CaseOption is a case offered by the preview's search box.
type CaseOption struct {
	ID         int64
	CaseNumber string
	ClientName string
	Language   string
}

// PreviewCases finds cases to preview a template against, by case number
// or client name; an empty query returns the most recently updated.
func (r *Reader) PreviewCases(ctx context.Context, q string, limit int) ([]CaseOption, error) {
	page, err := r.Cases(ctx, CaseFilter{Q: q, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]CaseOption, 0, len(page.Rows))
	for _, c := range page.Rows {
		out = append(out, CaseOption{ID: c.ID, CaseNumber: c.CaseNumber, ClientName: c.ClientName})
	}
	return out, nil
}

// TemplateUse counts messages sent from a template's versions, for the list.
type TemplateUse struct {
	TemplateID int64
	Messages   int64
	LastUsedAt *time.Time
}

// TemplateUsage returns how often each template's versions were used.
func (r *Reader) TemplateUsage(ctx context.Context) (map[int64]TemplateUse, error) {
	var rows []TemplateUse
	if err := r.scan(ctx, "template usage", &rows, `SELECT v.template_id, count(m.id) AS messages, max(m.created_at) AS last_used_at
		FROM template_versions v JOIN messages m ON m.template_version_id = v.id GROUP BY v.template_id`); err != nil {
		return nil, err
	}
	out := make(map[int64]TemplateUse, len(rows))
	for _, u := range rows {
		out[u.TemplateID] = u
	}
	return out, nil
}

// FirmVars are the firm-wide values templates use.
type FirmVars struct {
	Name, Phone, PortalURL string
}

// PreviewVars builds the variables a template would render with for case
// caseID as it stands now. It mirrors what the rules planner passes for a
// status change (the current status as both old and new status).
func (r *Reader) PreviewVars(ctx context.Context, caseID int64, firm FirmVars) (render.Vars, error) {
	var rows []struct {
		Snapshot    []byte
		StatusLabel string
		Attorney    string
		Paralegal   string
	}
	if err := r.scan(ctx, "preview case", &rows, `SELECT c.snapshot, coalesce(cs.label, '') AS status_label,
			coalesce(a.name, '') AS attorney, coalesce(p.name, '') AS paralegal
		FROM cases c LEFT JOIN canonical_statuses cs ON cs.key = c.status
		LEFT JOIN staff_users a ON a.cms_id = c.attorney_id LEFT JOIN staff_users p ON p.cms_id = c.paralegal_id
		WHERE c.id = ?`, caseID); err != nil {
		return render.Vars{}, err
	}
	if len(rows) == 0 {
		return render.Vars{}, ErrCaseNotFound
	}
	var c normalize.Case
	if err := json.Unmarshal(rows[0].Snapshot, &c); err != nil {
		return render.Vars{}, fmt.Errorf("decode case %d snapshot: %w", caseID, err)
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	d := func(p *sanitize.Date) render.Date {
		if p == nil {
			return render.Date{}
		}
		return render.Date{T: p.Time, DateOnly: p.DateOnly}
	}
	label := rows[0].StatusLabel
	return render.Vars{
		CaseID: c.CaseID, CaseNumber: s(c.CaseNumber), ClientID: s(c.ClientID),
		ClientFirstName: s(c.Client.FirstName), ClientLastName: s(c.Client.LastName),
		ClientEmail: s(c.Client.Email), ClientMobilePhone: s(c.Client.MobilePhone),
		PreferredLanguage: s(c.Client.PreferredLanguage), Timezone: s(c.Client.Timezone),
		Status: label, NextCourtDate: d(c.Dates.NextCourtDate), NextCourtEventType: s(c.NextCourtEventType),
		FilingDeadline: d(c.Dates.FilingDeadline), StatuteOfLimitations: d(c.Dates.StatuteOfLimitations),
		AttorneyID: s(c.AttorneyID), ParalegalID: s(c.ParalegalID),
		NewCaseStatus: label, OldCaseStatus: label, EventType: "preview",
		AssignedAttorneyName: rows[0].Attorney, AssignedParalegalName: rows[0].Paralegal,
		FirmName: firm.Name, FirmPhone: firm.Phone, PortalLink: firm.PortalURL,
	}, nil
}
