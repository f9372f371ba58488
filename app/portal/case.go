package portal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
)

// Finding is an open data problem on one field.
type Finding struct {
	ID         int64
	CaseID     int64
	Field      string
	Code       string
	Raw        string
	Suggestion string
	LastSeenAt time.Time
}

// Field is one canonical field with the open findings about it.
type Field struct {
	Name, Label, Value string
	Findings           []Finding
}

// PauseState says whether and why automation is paused for a case.
type PauseState struct {
	Paused    bool
	Scope     string // case, client, firm or cms
	Reason    string
	By        string
	Since     *time.Time
	ExpiresAt *time.Time
	// CasePause is true when the case's own pause is active, the one the
	// case screen can lift.
	CasePause bool
}

// VersionRow is one received version of a case with what changed.
type VersionRow struct {
	Version    int
	Applied    bool
	OccurredAt *time.Time
	CreatedAt  time.Time
	EventID    *int64
	Changes    []FieldChange
}

// DecisionRow is one rule decision: fired, or skipped and why.
type DecisionRow struct {
	ID        int64
	RuleKey   string
	Trigger   string
	Result    string
	Reason    string
	Actor     string
	CreatedAt time.Time
}

// ReminderRow is a reminder scheduled (or past) for the case.
type ReminderRow struct {
	ID        int64
	RuleKey   string
	RuleName  string
	DateField string
	TargetAt  time.Time
	DueAt     time.Time
	Status    string
	Reason    string
}

// MessageRow is a message in a list.
type MessageRow struct {
	ID         int64
	Channel    string
	Recipient  string
	Subject    string
	Status     string
	HoldReason string
	Kind       string
	DueAt      time.Time
	CreatedAt  time.Time
}

// CaseDetail is the case screen.
type CaseDetail struct {
	ID            int64
	ExternalID    string
	Source        string
	CaseNumber    string
	ClientID      int64
	ClientName    string
	StatusLabel   string
	Version       int
	UpdatedAt     time.Time
	Pause         PauseState
	Fields        []Field
	OtherFindings []Finding // findings about fields the snapshot does not show
	Versions      []VersionRow
	Decisions     []DecisionRow
	Reminders     []ReminderRow
	Messages      []MessageRow
}

// ErrCaseNotFound is returned for an unknown case id.
var ErrCaseNotFound = fmt.Errorf("case %w", derrors.NotFound)

// Case returns everything the case screen shows.
func (r *Reader) Case(ctx context.Context, id int64) (CaseDetail, error) {
	var head []struct {
		ID                      int64
		ExternalID, Source      string
		CaseNumber              string
		ClientID                int64
		ClientName, StatusLabel string
		Version                 int
		UpdatedAt               time.Time
		Snapshot                []byte
		CMSPaused               bool
	}
	if err := r.scan(ctx, "case", &head, `SELECT c.id, c.external_id, c.source, coalesce(c.case_number, '') AS case_number, c.client_id,
			trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name,
			coalesce(cs.label, c.status_raw, '') AS status_label, c.version, c.updated_at, c.snapshot, c.cms_paused
		FROM cases c JOIN clients cl ON cl.id = c.client_id LEFT JOIN canonical_statuses cs ON cs.key = c.status
		WHERE c.id = ?`, id); err != nil {
		return CaseDetail{}, err
	}
	if len(head) == 0 {
		return CaseDetail{}, ErrCaseNotFound
	}
	h := head[0]
	d := CaseDetail{ID: h.ID, ExternalID: h.ExternalID, Source: h.Source, CaseNumber: h.CaseNumber, ClientID: h.ClientID,
		ClientName: h.ClientName, StatusLabel: h.StatusLabel, Version: h.Version, UpdatedAt: h.UpdatedAt}
	var snap normalize.Case
	if err := json.Unmarshal(h.Snapshot, &snap); err != nil {
		return d, fmt.Errorf("decode case %d snapshot: %w", id, err)
	}
	var findings []Finding
	if err := r.scan(ctx, "findings", &findings, `SELECT id, case_id, field, code, raw, suggestion, last_seen_at
		FROM data_findings WHERE case_id = ? AND resolved_at IS NULL ORDER BY field, code`, id); err != nil {
		return d, err
	}
	values := fieldText(snap)
	shown := map[string]bool{}
	for _, f := range normalize.CanonicalFields {
		fd := Field{Name: f, Label: FieldLabel(f), Value: values[f]}
		for _, fi := range findings {
			if fi.Field == f {
				fd.Findings = append(fd.Findings, fi)
			}
		}
		shown[f] = true
		d.Fields = append(d.Fields, fd)
	}
	for _, fi := range findings {
		if !shown[fi.Field] {
			d.OtherFindings = append(d.OtherFindings, fi)
		}
	}
	var err error
	if d.Pause, err = r.pauseState(ctx, id, h.ClientID, h.CMSPaused); err != nil {
		return d, err
	}
	if d.Versions, err = r.versions(ctx, id); err != nil {
		return d, err
	}
	if err := r.scan(ctx, "decisions", &d.Decisions, `SELECT id, rule_key, trigger, result, reason, actor, created_at
		FROM rule_decisions WHERE case_id = ? ORDER BY created_at DESC, id DESC LIMIT 100`, id); err != nil {
		return d, err
	}
	if err := r.scan(ctx, "reminders", &d.Reminders, `SELECT m.id, r.key AS rule_key, r.name AS rule_name, m.date_field,
			m.target_at, m.due_at, m.status, m.reason
		FROM reminders m JOIN rules r ON r.id = m.rule_id WHERE m.case_id = ?
		ORDER BY m.status <> 'scheduled', m.due_at LIMIT 100`, id); err != nil {
		return d, err
	}
	if err := r.scan(ctx, "messages", &d.Messages, `SELECT id, channel, recipient, subject, status, hold_reason, kind, due_at, created_at
		FROM messages WHERE case_id = ? ORDER BY created_at DESC, id DESC LIMIT 50`, id); err != nil {
		return d, err
	}
	return d, nil
}

// pauseState mirrors pause.Check's order (case, client, firm, CMS flag) over
// the pauses table, for display.
func (r *Reader) pauseState(ctx context.Context, caseID, clientID int64, cmsPaused bool) (PauseState, error) {
	var rows []struct {
		Scope, Reason, PausedBy string
		CreatedAt               time.Time
		ExpiresAt               *time.Time
	}
	if err := r.scan(ctx, "pauses", &rows, `SELECT p.scope, p.reason, p.paused_by, p.created_at, p.expires_at FROM pauses p
		WHERE ((p.scope = 'case' AND p.case_id = @case) OR (p.scope = 'client' AND p.client_id = @client) OR p.scope = 'firm')
		AND `+activePause+` ORDER BY CASE p.scope WHEN 'case' THEN 0 WHEN 'client' THEN 1 ELSE 2 END`,
		map[string]any{"case": caseID, "client": clientID, "now": r.clock.Now()}); err != nil {
		return PauseState{}, err
	}
	if len(rows) > 0 {
		p := rows[0]
		return PauseState{Paused: true, Scope: p.Scope, Reason: p.Reason, By: p.PausedBy, Since: &p.CreatedAt,
			ExpiresAt: p.ExpiresAt, CasePause: p.Scope == "case"}, nil
	}
	if cmsPaused {
		return PauseState{Paused: true, Scope: "cms", Reason: "automation is paused in the CMS", By: "CMS"}, nil
	}
	return PauseState{}, nil
}

func (r *Reader) versions(ctx context.Context, caseID int64) ([]VersionRow, error) {
	var rows []struct {
		Version        int
		Applied        bool
		OccurredAt     *time.Time
		CreatedAt      time.Time
		InboundEventID *int64
		Snapshot       []byte
	}
	// One extra, older version gives the diff of the oldest one shown.
	if err := r.scan(ctx, "versions", &rows, `SELECT version, applied, occurred_at, created_at, inbound_event_id, snapshot
		FROM case_versions WHERE case_id = ? ORDER BY version DESC LIMIT 51`, caseID); err != nil {
		return nil, err
	}
	texts := make([]map[string]string, len(rows))
	for i, row := range rows {
		var c normalize.Case
		if err := json.Unmarshal(row.Snapshot, &c); err != nil {
			return nil, fmt.Errorf("decode case %d version %d: %w", caseID, row.Version, err)
		}
		texts[i] = fieldText(c)
	}
	var out []VersionRow
	for i, row := range rows {
		if i == 50 {
			break
		}
		prev := map[string]string{}
		if i+1 < len(rows) {
			prev = texts[i+1]
		}
		out = append(out, VersionRow{Version: row.Version, Applied: row.Applied, OccurredAt: row.OccurredAt,
			CreatedAt: row.CreatedAt, EventID: row.InboundEventID, Changes: diffFields(prev, texts[i])})
	}
	return out, nil
}
