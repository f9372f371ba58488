package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
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
// caseID as it stands now, with the rules' own Vars, so a preview shows what
// a send would. It passes what the planner passes for a status change with
// the current status as both old and new status.
func (r *Reader) PreviewVars(ctx context.Context, caseID int64, firm FirmVars) (render.Vars, error) {
	var rows []struct{ Snapshot []byte }
	if err := r.scan(ctx, "preview case", &rows, `SELECT snapshot FROM cases WHERE id = ?`, caseID); err != nil {
		return render.Vars{}, err
	}
	if len(rows) == 0 {
		return render.Vars{}, ErrCaseNotFound
	}
	var c normalize.Case
	if err := json.Unmarshal(rows[0].Snapshot, &c); err != nil {
		return render.Vars{}, fmt.Errorf("decode case %d snapshot: %w", caseID, err)
	}
	tz := ""
	if c.Client.Timezone != nil {
		tz = *c.Client.Timezone
	}
	cfg := rules.Config{FirmName: firm.Name, FirmPhone: firm.Phone, PortalURL: firm.PortalURL}
	diff := normalize.Changes{Status: &normalize.StatusChange{From: c.Status, To: c.Status}}
	v, err := rules.Vars(ctx, r.db.Pool, cfg, c, rules.Location(tz, r.loc), diff, "preview")
	if err != nil {
		return render.Vars{}, fmt.Errorf("%w: preview variables: %w", derrors.Unavailable, err)
	}
	// A send signs a check-in link per message (rules.Config.CheckinLink);
	// a preview shows where it goes without issuing a working one.
	v.CheckinLink = firm.PortalURL + "/checkin/preview"
	return v, nil
}
