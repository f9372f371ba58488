// Package rules decides what a client should hear about a change to their
// case, and when. Rules live in the rules table (seeded from
// config/rules.yaml). Evaluate is pure: given a change, the rules, the pause
// and opt-out state and the client's reachable channels it returns
// decisions. The Planner turns decisions into rule_decisions rows, rendered
// ledger messages, staff tasks and reminders in one transaction; sweeps turn
// due reminders and inactivity into messages, and expire unapproved ones.
//
// The big red button comes first: a paused case gets one skipped_paused
// decision and nothing else.
package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"gopkg.in/yaml.v3"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Triggers.
const (
	TriggerStatusTransition = "status_transition"
	TriggerDateReminder     = "date_reminder"
	TriggerDateChanged      = "date_changed"
	TriggerContactChanged   = "contact_changed"
	TriggerCaseCreated      = "case_created"
	TriggerInactivity       = "inactivity"
)

// Action types.
const (
	ActionSend   = "send"
	ActionTask   = "task"
	ActionNotify = "notify"
)

// Channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Date change kinds for conditions.date_change.
const (
	DateSet       = "set"       // a date appeared on an existing case
	DateMoved     = "moved"     // a date changed to another date
	DateCancelled = "cancelled" // a date was removed
)

// Rule is one rule of the playbook.
type Rule struct {
	ID      int64  `yaml:"-"`
	Key     string `yaml:"key"`
	Name    string `yaml:"name"`
	Enabled *bool  `yaml:"enabled"`
	Trigger string `yaml:"trigger"`
	// FromStatus empty means from any status.
	FromStatus string `yaml:"from_status"`
	ToStatus   string `yaml:"to_status"`
	DateField  string `yaml:"date_field"`
	// OffsetMinutes is how long before the date a reminder is due.
	OffsetMinutes int `yaml:"offset_minutes"`
	// AtLocalTime ("09:00") is the client's local time of day a reminder is
	// sent at, when the offset is whole days.
	AtLocalTime    string     `yaml:"at_local_time"`
	InactivityDays int        `yaml:"inactivity_days"`
	Conditions     Conditions `yaml:"conditions"`
	Actions        []Action   `yaml:"actions"`
	// SettleDelaySeconds overrides the configured settle delay; 0 is allowed.
	SettleDelaySeconds *int `yaml:"settle_delay_seconds"`
	RequiresApproval   bool `yaml:"requires_approval"`
	ApprovalTTLSeconds int  `yaml:"approval_ttl_seconds"`
}

// Conditions narrow when a triggered rule fires; empty lists match anything.
type Conditions struct {
	Statuses        []string `yaml:"statuses" json:"statuses,omitempty"`
	CaseTypes       []string `yaml:"case_types" json:"case_types,omitempty"`
	Languages       []string `yaml:"languages" json:"languages,omitempty"`
	RequireChannels []string `yaml:"require_channels" json:"require_channels,omitempty"`
	DateChange      []string `yaml:"date_change" json:"date_change,omitempty"`
}

// Action is what a fired rule does.
type Action struct {
	Type string `yaml:"type" json:"type"`
	// Template and Channels for send: channels in preferred order. Mode "all"
	// (default) sends on every listed channel, "first" on the first one that
	// is possible. Fallback uses the other channel when a listed one is
	// impossible (no address, opted out, email flagged invalid).
	Template string   `yaml:"template" json:"template,omitempty"`
	Channels []string `yaml:"channels" json:"channels,omitempty"`
	Mode     string   `yaml:"mode" json:"mode,omitempty"`
	Fallback bool     `yaml:"fallback" json:"fallback,omitempty"`
	// Title, Body and Assignee (attorney or paralegal) for task and notify.
	Title    string `yaml:"title" json:"title,omitempty"`
	Body     string `yaml:"body" json:"body,omitempty"`
	Assignee string `yaml:"assignee" json:"assignee,omitempty"`
}

// IsEnabled reports whether the rule is on (the default).
func (r Rule) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// SettleDelay returns the rule's settle delay, or def when it has none.
func (r Rule) SettleDelay(def time.Duration) time.Duration {
	if r.SettleDelaySeconds != nil {
		return time.Duration(*r.SettleDelaySeconds) * time.Second
	}
	return def
}

// ApprovalTTL is how long a message waits for approval before it lapses.
func (r Rule) ApprovalTTL() time.Duration {
	if r.ApprovalTTLSeconds > 0 {
		return time.Duration(r.ApprovalTTLSeconds) * time.Second
	}
	return 48 * time.Hour
}

var (
	keyRE  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	timeRE = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// Validate checks a rule before it is stored.
func (r Rule) Validate() error {
	var fs derrors.Fields
	add := func(field, problem, fix string) {
		fs = append(fs, &derrors.FieldError{Field: r.Key + "." + field, Problem: problem, Fix: fix})
	}
	if !keyRE.MatchString(r.Key) {
		add("key", fmt.Sprintf("%q is not lower_snake_case", r.Key), "e.g. settlement_offer")
	}
	switch r.Trigger {
	case TriggerStatusTransition:
		if r.ToStatus == "" {
			add("to_status", "is required for a status_transition rule", "name the canonical status")
		}
	case TriggerDateReminder, TriggerDateChanged:
		if !slices.Contains([]string{"next_court_date", "filing_deadline", "statute_of_limitations"}, r.DateField) {
			add("date_field", fmt.Sprintf("%q is not a case date", r.DateField), "use next_court_date, filing_deadline or statute_of_limitations")
		}
		if r.Trigger == TriggerDateReminder && r.OffsetMinutes < 0 {
			add("offset_minutes", "is negative", "give minutes before the date")
		}
	case TriggerInactivity:
		if r.InactivityDays <= 0 {
			add("inactivity_days", "must be positive", "e.g. 30")
		}
	case TriggerContactChanged, TriggerCaseCreated:
	default:
		add("trigger", fmt.Sprintf("%q is not a trigger", r.Trigger), "use status_transition, date_reminder, date_changed, contact_changed, case_created or inactivity")
	}
	if r.AtLocalTime != "" && !timeRE.MatchString(r.AtLocalTime) {
		add("at_local_time", fmt.Sprintf("%q is not HH:MM", r.AtLocalTime), "e.g. 09:00")
	}
	if len(r.Actions) == 0 {
		add("actions", "is empty", "add a send, task or notify action")
	}
	for i, a := range r.Actions {
		field := fmt.Sprintf("actions[%d]", i)
		switch a.Type {
		case ActionSend:
			if a.Template == "" {
				add(field+".template", "is required", "name a template key")
			}
			if len(a.Channels) == 0 {
				add(field+".channels", "is empty", "list email and/or sms in preferred order")
			}
			for _, c := range a.Channels {
				if c != ChannelEmail && c != ChannelSMS {
					add(field+".channels", fmt.Sprintf("%q is not a channel", c), "use email or sms")
				}
			}
			if a.Mode != "" && a.Mode != "all" && a.Mode != "first" {
				add(field+".mode", fmt.Sprintf("%q is not a mode", a.Mode), "use all or first")
			}
		case ActionTask, ActionNotify:
			if a.Title == "" {
				add(field+".title", "is required", "say what staff should do")
			}
			if a.Assignee != "" && a.Assignee != "attorney" && a.Assignee != "paralegal" {
				add(field+".assignee", fmt.Sprintf("%q is not an assignee", a.Assignee), "use attorney or paralegal")
			}
		default:
			add(field+".type", fmt.Sprintf("%q is not an action", a.Type), "use send, task or notify")
		}
	}
	return fs.Err()
}

// ParseYAML reads a playbook file ({rules: [...]}) and validates every rule.
func ParseYAML(b []byte) ([]Rule, error) {
	var doc struct {
		Rules []Rule `yaml:"rules"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%w: rules yaml: %w", derrors.InvalidArgument, err)
	}
	seen := map[string]bool{}
	for _, r := range doc.Rules {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if seen[r.Key] {
			return nil, derrors.Invalid(r.Key, "is defined twice", "rule keys are unique")
		}
		seen[r.Key] = true
	}
	return doc.Rules, nil
}

// Seed inserts the rules in yamlDoc (config.RulesYAML) that do not exist yet,
// by key; existing rules are left alone. It needs the canonical statuses the
// rules name. It returns how many rules it added.
func Seed(ctx context.Context, db *store.DB, yamlDoc []byte) (int, error) {
	rs, err := ParseYAML(yamlDoc)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		conds, _ := json.Marshal(r.Conditions)
		acts, _ := json.Marshal(r.Actions)
		ttl := r.ApprovalTTLSeconds
		if ttl <= 0 {
			ttl = int(r.ApprovalTTL() / time.Second)
		}
		tag, err := db.Pool.Exec(ctx, `INSERT INTO rules (key, name, enabled, trigger, from_status, to_status, date_field,
			offset_minutes, at_local_time, inactivity_days, conditions, actions, settle_delay_seconds, requires_approval, approval_ttl_seconds)
			VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), NULLIF($7, ''), $8, NULLIF($9, ''), NULLIF($10, 0), $11, $12, $13, $14, $15)
			ON CONFLICT (key) DO NOTHING`,
			r.Key, r.Name, r.IsEnabled(), r.Trigger, r.FromStatus, r.ToStatus, r.DateField, r.OffsetMinutes, r.AtLocalTime,
			r.InactivityDays, conds, acts, r.SettleDelaySeconds, r.RequiresApproval, ttl)
		if err != nil {
			return n, fmt.Errorf("seed rule %s: %w", r.Key, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// Load returns every enabled rule, ordered by id: a disabled rule never
// fires.
func Load(ctx context.Context, q interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}) ([]Rule, error) {
	rows, err := q.Query(ctx, selectRules+` WHERE enabled ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("%w: load rules: %w", derrors.Unavailable, err)
	}
	return collectRules(rows)
}

// selectRules reads rules in the column order collectRules scans.
const selectRules = `SELECT id, key, name, enabled, trigger, COALESCE(from_status, ''), COALESCE(to_status, ''),
		COALESCE(date_field, ''), COALESCE(offset_minutes, 0), COALESCE(at_local_time, ''), COALESCE(inactivity_days, 0),
		conditions, actions, settle_delay_seconds, requires_approval, approval_ttl_seconds
		FROM rules`

func collectRules(rows pgx.Rows) ([]Rule, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Rule, error) {
		var r Rule
		var enabled bool
		var conds, acts []byte
		if err := row.Scan(&r.ID, &r.Key, &r.Name, &enabled, &r.Trigger, &r.FromStatus, &r.ToStatus, &r.DateField, &r.OffsetMinutes,
			&r.AtLocalTime, &r.InactivityDays, &conds, &acts, &r.SettleDelaySeconds, &r.RequiresApproval, &r.ApprovalTTLSeconds); err != nil {
			return r, err
		}
		r.Enabled = &enabled
		if err := json.Unmarshal(conds, &r.Conditions); err != nil {
			return r, fmt.Errorf("rule %s conditions: %w", r.Key, err)
		}
		if err := json.Unmarshal(acts, &r.Actions); err != nil {
			return r, fmt.Errorf("rule %s actions: %w", r.Key, err)
		}
		return r, nil
	})
}
