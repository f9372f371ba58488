package portal

import (
	"context"
	"strings"
	"time"
)

// FindingGroup counts open findings with one code.
type FindingGroup struct {
	Code          string
	Findings      int64
	AffectedCases int64
	Examples      []Finding
}

// UnmappedStatus is a raw CMS status that matched no canonical status.
type UnmappedStatus struct {
	Raw   string
	Cases int64
}

// DataHealth is the data-health screen.
type DataHealth struct {
	Groups   []FindingGroup
	Unmapped []UnmappedStatus
	Statuses []Option
}

// DataHealth groups open findings by code (with a few example cases each)
// and lists the raw statuses waiting to be mapped.
func (r *Reader) DataHealth(ctx context.Context) (DataHealth, error) {
	var h DataHealth
	var groups []struct {
		Code                    string
		Findings, AffectedCases int64
	}
	if err := r.scan(ctx, "finding groups", &groups, `SELECT code, count(*) AS findings, count(DISTINCT case_id) AS affected_cases
		FROM data_findings WHERE resolved_at IS NULL GROUP BY code ORDER BY count(*) DESC, code`); err != nil {
		return h, err
	}
	var ex []Finding
	if err := r.scan(ctx, "finding examples", &ex, `SELECT id, case_id, field, code, raw, suggestion, last_seen_at FROM (
			SELECT *, row_number() OVER (PARTITION BY code ORDER BY last_seen_at DESC, id DESC) AS n
			FROM data_findings WHERE resolved_at IS NULL) f WHERE n <= 5 ORDER BY code, last_seen_at DESC`); err != nil {
		return h, err
	}
	for _, g := range groups {
		h.Groups = append(h.Groups, FindingGroup{Code: g.Code, Findings: g.Findings, AffectedCases: g.AffectedCases})
	}
	for i := range h.Groups {
		for _, f := range ex {
			if f.Code == h.Groups[i].Code {
				h.Groups[i].Examples = append(h.Groups[i].Examples, f)
			}
		}
	}
	if err := r.scan(ctx, "unmapped statuses", &h.Unmapped, `SELECT min(raw) AS raw, count(DISTINCT case_id) AS cases
		FROM data_findings WHERE resolved_at IS NULL AND code = 'unknown_status' AND raw <> ''
		GROUP BY lower(btrim(raw)) ORDER BY count(DISTINCT case_id) DESC, 1 LIMIT 200`); err != nil {
		return h, err
	}
	err := r.scan(ctx, "statuses", &h.Statuses, `SELECT key AS value, label FROM canonical_statuses WHERE active ORDER BY position, key`)
	return h, err
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Actor  string
	Action string // prefix, e.g. "pause"
	Limit  int
}

// AuditEntry is one audit_log row.
type AuditEntry struct {
	ID         int64
	Actor      string
	ActorRole  string
	Action     string
	TargetType string
	TargetID   string
	Reason     string
	Details    string
	CreatedAt  time.Time
}

// Audit returns audit log entries, newest first.
func (r *Reader) Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	where, args := []string{"true"}, map[string]any{"limit": f.Limit}
	if f.Actor != "" {
		where = append(where, "actor ILIKE @actor")
		args["actor"] = "%" + likeEscape(f.Actor) + "%"
	}
	if f.Action != "" {
		where = append(where, "action LIKE @action")
		args["action"] = likeEscape(f.Action) + "%"
	}
	var out []AuditEntry
	err := r.scan(ctx, "audit log", &out, `SELECT id, actor, actor_role, action, target_type, target_id, reason,
		details::text AS details, created_at FROM audit_log WHERE `+strings.Join(where, " AND ")+
		` ORDER BY created_at DESC, id DESC LIMIT @limit`, args)
	return out, err
}

// Approval is a message waiting for an attorney.
type Approval struct {
	ID         int64
	Channel    string
	Recipient  string
	Subject    string
	BodyText   string
	CaseID     *int64
	CaseNumber string
	ClientID   *int64
	ClientName string
	RuleKey    string
	ExpiresAt  *time.Time
	CreatedAt  time.Time
}

// Approvals lists messages awaiting approval, oldest first.
func (r *Reader) Approvals(ctx context.Context) ([]Approval, error) {
	var out []Approval
	err := r.scan(ctx, "approvals", &out, `SELECT m.id, m.channel, m.recipient, m.subject, m.body_text, m.case_id,
			coalesce(c.case_number, c.external_id, '') AS case_number, m.client_id,
			trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name,
			coalesce(r.key, '') AS rule_key, m.approval_expires_at AS expires_at, m.created_at
		FROM messages m LEFT JOIN cases c ON c.id = m.case_id LEFT JOIN clients cl ON cl.id = m.client_id
		LEFT JOIN rules r ON r.id = m.rule_id
		WHERE m.status = 'awaiting_approval' ORDER BY m.created_at, m.id LIMIT 500`)
	return out, err
}

// RuleRow is one rule in the rules list.
type RuleRow struct {
	ID               int64
	Key              string
	Name             string
	Enabled          bool
	Trigger          string
	FromStatus       string
	ToStatus         string
	DateField        string
	RequiresApproval bool
	Fired30d         int64
}

// Rules is the rules screen: every rule and the statuses no rule announces.
type Rules struct {
	Rules     []RuleRow
	Uncovered []Option
}

// Rules lists rules with how often each fired in the last 30 days, and the
// active statuses no enabled status_transition rule moves a case into.
func (r *Reader) Rules(ctx context.Context) (Rules, error) {
	var out Rules
	if err := r.scan(ctx, "rules", &out.Rules, `SELECT r.id, r.key, r.name, r.enabled, r.trigger,
			coalesce(r.from_status, '') AS from_status, coalesce(r.to_status, '') AS to_status,
			coalesce(r.date_field, '') AS date_field, r.requires_approval,
			(SELECT count(*) FROM rule_decisions d WHERE d.rule_id = r.id AND d.result = 'fired' AND d.created_at > ?) AS fired30d
		FROM rules r ORDER BY r.trigger, r.key`, r.clock.Now().AddDate(0, 0, -30)); err != nil {
		return out, err
	}
	err := r.scan(ctx, "uncovered statuses", &out.Uncovered, `SELECT s.key AS value, s.label FROM canonical_statuses s
		WHERE s.active AND NOT EXISTS (SELECT 1 FROM rules r WHERE r.enabled AND r.trigger = 'status_transition' AND r.to_status = s.key)
		ORDER BY s.position, s.key`)
	return out, err
}

// StaffOption is a staff member tasks can be assigned to.
type StaffOption struct {
	ID   int64
	Name string
	Role string
}

// Assignees lists active staff with a role.
func (r *Reader) Assignees(ctx context.Context) ([]StaffOption, error) {
	var out []StaffOption
	err := r.scan(ctx, "staff", &out, `SELECT id, name, role FROM staff_users WHERE active AND role IS NOT NULL ORDER BY lower(name)`)
	return out, err
}
