package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// TemplateLister lists the message templates a rule may name (content.Store).
type TemplateLister interface {
	List(ctx context.Context) ([]content.Family, error)
}

// Editor changes stored rules from the portal's Rules screen. Every change
// is validated against the canonical statuses and the templates that exist,
// and audited (rule.update, rule.create, rule.enable, rule.disable) with
// what changed. Disabled rules are not loaded for planning (Load).
type Editor struct {
	db        *store.DB
	clock     clock.Clock
	templates TemplateLister
}

// NewEditor returns an editor.
func NewEditor(db *store.DB, clk clock.Clock, templates TemplateLister) *Editor {
	return &Editor{db: db, clock: clk, templates: templates}
}

// Edit is what the Rules screen may change on a rule. The trigger, the key
// and the date field stay as they are; task and notify actions are kept.
type Edit struct {
	Name string
	// FromStatus ("" for any) and ToStatus, for status_transition rules.
	FromStatus, ToStatus string
	// OffsetMinutes before the date and AtLocalTime, for date_reminder rules.
	OffsetMinutes int
	AtLocalTime   string
	// InactivityDays, for inactivity rules.
	InactivityDays int
	// Sends replaces the rule's send actions, one for one and in order.
	Sends []SendEdit
	// SettleDelay nil uses the firm's HERALD_SETTLE_DELAY; 0 sends at once.
	SettleDelay      *time.Duration
	RequiresApproval bool
	ApprovalTTL      time.Duration
}

// SendEdit is a send action's editable part: the template and the channels in
// preferred order, whether to send on all of them or the first possible,
// and whether to fall back to the other channel.
type SendEdit struct {
	Template string
	Channels []string
	Mode     string
	Fallback bool
}

// Limits on edited values.
const (
	maxOffset      = 365 * 24 * time.Hour
	maxSettle      = 24 * time.Hour
	minApprovalTTL = time.Hour
	maxApprovalTTL = 30 * 24 * time.Hour
)

// EditOf returns the editable part of r.
func EditOf(r Rule) Edit {
	e := Edit{Name: r.Name, FromStatus: r.FromStatus, ToStatus: r.ToStatus, OffsetMinutes: r.OffsetMinutes,
		AtLocalTime: r.AtLocalTime, InactivityDays: r.InactivityDays, RequiresApproval: r.RequiresApproval, ApprovalTTL: r.ApprovalTTL()}
	if r.SettleDelaySeconds != nil {
		d := time.Duration(*r.SettleDelaySeconds) * time.Second
		e.SettleDelay = &d
	}
	for _, a := range r.Actions {
		if a.Type == ActionSend {
			e.Sends = append(e.Sends, SendEdit{Template: a.Template, Channels: slices.Clone(a.Channels), Mode: a.Mode, Fallback: a.Fallback})
		}
	}
	return e
}

// apply returns r with the edit applied, and the problems only the edit
// can have (its own limits); Rule.Validate checks the rest.
func (e Edit) apply(r Rule) (Rule, derrors.Fields) {
	var fs derrors.Fields
	add := func(field, problem, fix string) {
		fs = append(fs, &derrors.FieldError{Field: field, Problem: problem, Fix: fix})
	}
	r.Name = strings.TrimSpace(e.Name)
	if r.Name == "" {
		add("name", "is required", "say what the rule does, e.g. Welcome email when intake is complete")
	}
	switch r.Trigger {
	case TriggerStatusTransition:
		r.FromStatus, r.ToStatus = e.FromStatus, e.ToStatus
		if r.FromStatus != "" && r.FromStatus == r.ToStatus {
			add("from_status", "is the same as the new status", "leave it on any status, or pick the status the case leaves")
		}
	case TriggerDateReminder:
		r.OffsetMinutes, r.AtLocalTime = e.OffsetMinutes, strings.TrimSpace(e.AtLocalTime)
		if time.Duration(r.OffsetMinutes)*time.Minute > maxOffset {
			add("offset", fmt.Sprintf("%s is more than a year", FormatOffset(r.OffsetMinutes)), "remind at most 365d before the date")
		}
		if r.AtLocalTime != "" && r.OffsetMinutes%(24*60) != 0 {
			add("at_local_time", "only applies to whole-day offsets", "use an offset in days (e.g. 7d) or leave the time empty")
		}
	case TriggerInactivity:
		r.InactivityDays = e.InactivityDays
		if r.InactivityDays > 365 {
			add("inactivity_days", fmt.Sprintf("%d is more than a year", r.InactivityDays), "use 1 to 365 days")
		}
	}
	sends := 0
	for _, a := range r.Actions {
		if a.Type == ActionSend {
			sends++
		}
	}
	if len(e.Sends) != sends {
		add("actions", fmt.Sprintf("has %d send actions, the rule has %d", len(e.Sends), sends), "reload the rule and edit it again")
	} else {
		acts := slices.Clone(r.Actions)
		i := 0
		for j, a := range acts {
			if a.Type != ActionSend {
				continue
			}
			s := e.Sends[i]
			field := fmt.Sprintf("actions[%d]", j)
			seen := map[string]bool{}
			for _, ch := range s.Channels {
				if seen[ch] {
					add(field+".channels", fmt.Sprintf("lists %s twice", ch), "list each channel once, in preferred order")
				}
				seen[ch] = true
			}
			a.Template, a.Channels, a.Mode, a.Fallback = strings.TrimSpace(s.Template), s.Channels, s.Mode, s.Fallback
			acts[j] = a
			i++
		}
		r.Actions = acts
	}
	r.SettleDelaySeconds = nil
	if e.SettleDelay != nil {
		switch d := *e.SettleDelay; {
		case d < 0 || d > maxSettle:
			add("settle_delay", fmt.Sprintf("%s is out of range", d), "use 0 (send at once) to 24h, or leave it empty for the firm's default")
		case d%time.Second != 0:
			add("settle_delay", fmt.Sprintf("%s is not whole seconds", d), "e.g. 10m or 90s")
		default:
			n := int(d / time.Second)
			r.SettleDelaySeconds = &n
		}
	}
	r.RequiresApproval = e.RequiresApproval
	if e.ApprovalTTL < minApprovalTTL || e.ApprovalTTL > maxApprovalTTL {
		add("approval_ttl", fmt.Sprintf("%s is out of range", e.ApprovalTTL), "a message waits for approval between 1h and 720h (30 days)")
	} else {
		r.ApprovalTTLSeconds = int(e.ApprovalTTL / time.Second)
	}
	return r, fs
}

// Get returns rule id, enabled or not.
func (e *Editor) Get(ctx context.Context, id int64) (Rule, error) {
	rows, err := e.db.Pool.Query(ctx, selectRules+` WHERE id = $1`, id)
	if err != nil {
		return Rule{}, fmt.Errorf("%w: read rule %d: %w", derrors.Unavailable, id, err)
	}
	rs, err := collectRules(rows)
	if err != nil {
		return Rule{}, err
	}
	if len(rs) == 0 {
		return Rule{}, fmt.Errorf("rule %d: %w", id, derrors.NotFound)
	}
	return rs[0], nil
}

// Update applies ed to rule id and audits it (rule.update with the fields
// that changed, before and after). Bad input is a derrors.Fields naming
// each form field: name, from_status, to_status, offset, at_local_time,
// inactivity_days, actions[i].template, actions[i].channels, settle_delay,
// approval_ttl.
func (e *Editor) Update(ctx context.Context, id int64, ed Edit, actor string) (Rule, error) {
	if strings.TrimSpace(actor) == "" {
		return Rule{}, derrors.Invalid("actor", "is empty", "say who edits the rule")
	}
	old, err := e.Get(ctx, id)
	if err != nil {
		return Rule{}, err
	}
	r, fs := ed.apply(old)
	if err := e.check(ctx, r, fs); err != nil {
		return Rule{}, err
	}
	conds, _ := json.Marshal(r.Conditions)
	acts, _ := json.Marshal(r.Actions)
	now := e.clock.Now()
	err = e.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE rules SET name = $2, from_status = NULLIF($3, ''), to_status = NULLIF($4, ''),
			offset_minutes = $5, at_local_time = NULLIF($6, ''), inactivity_days = NULLIF($7, 0), conditions = $8, actions = $9,
			settle_delay_seconds = $10, requires_approval = $11, approval_ttl_seconds = $12, updated_at = $13 WHERE id = $1`,
			id, r.Name, r.FromStatus, r.ToStatus, r.OffsetMinutes, r.AtLocalTime, r.InactivityDays, conds, acts,
			r.SettleDelaySeconds, r.RequiresApproval, r.ApprovalTTLSeconds, now)
		if err != nil {
			return fmt.Errorf("update rule %s: %w", r.Key, err)
		}
		changed, before, after := changes(old, r)
		if len(changed) == 0 {
			return nil
		}
		return auditRule(ctx, tx, now, actor, "rule.update", r.Key, "", map[string]any{"changed": changed, "before": before, "after": after})
	})
	if err != nil {
		return Rule{}, err
	}
	return r, nil
}

// NewStatusRule is a rule that tells the client when a case moves into a
// status no rule covers yet.
type NewStatusRule struct {
	ToStatus string
	Name     string
	Send     SendEdit
}

// CreateStatusRule adds an enabled status_transition rule keyed
// on_<status> with one send action, audited as rule.create. A status that
// already has such a rule is a derrors.Conflict.
func (e *Editor) CreateStatusRule(ctx context.Context, n NewStatusRule, actor string) (Rule, error) {
	if strings.TrimSpace(actor) == "" {
		return Rule{}, derrors.Invalid("actor", "is empty", "say who adds the rule")
	}
	r := Rule{Key: "on_" + n.ToStatus, Name: strings.TrimSpace(n.Name), Trigger: TriggerStatusTransition, ToStatus: n.ToStatus,
		Actions: []Action{{Type: ActionSend, Template: strings.TrimSpace(n.Send.Template), Channels: n.Send.Channels,
			Mode: n.Send.Mode, Fallback: n.Send.Fallback}}}
	var fs derrors.Fields
	if r.Name == "" {
		fs = append(fs, &derrors.FieldError{Field: "name", Problem: "is required", Fix: "say what the rule does"})
	}
	if !keyRE.MatchString(r.Key) {
		fs = append(fs, &derrors.FieldError{Field: "to_status", Problem: fmt.Sprintf("%q is not a canonical status", n.ToStatus), Fix: "pick a status from the list"})
		return Rule{}, fs
	}
	if err := e.check(ctx, r, fs); err != nil {
		return Rule{}, err
	}
	conds, _ := json.Marshal(r.Conditions)
	acts, _ := json.Marshal(r.Actions)
	now := e.clock.Now()
	err := e.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO rules (key, name, enabled, trigger, to_status, conditions, actions, created_at, updated_at)
			VALUES ($1, $2, true, $3, $4, $5, $6, $7, $7) RETURNING id, approval_ttl_seconds`,
			r.Key, r.Name, r.Trigger, r.ToStatus, conds, acts, now).Scan(&r.ID, &r.ApprovalTTLSeconds)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("%w: a rule %s already exists; edit it instead", derrors.Conflict, r.Key)
		}
		if err != nil {
			return fmt.Errorf("create rule %s: %w", r.Key, err)
		}
		return auditRule(ctx, tx, now, actor, "rule.create", r.Key, "", map[string]any{"after": auditSummary(r)})
	})
	if err != nil {
		return Rule{}, err
	}
	return r, nil
}

// SetEnabled turns rule id on or off, audited as rule.enable or
// rule.disable with the reason. Setting the state it already has changes
// nothing and audits nothing.
func (e *Editor) SetEnabled(ctx context.Context, id int64, enabled bool, actor, reason string) error {
	if strings.TrimSpace(actor) == "" {
		return derrors.Invalid("actor", "is empty", "say who changes the rule")
	}
	now := e.clock.Now()
	return e.inTx(ctx, func(tx pgx.Tx) error {
		var key string
		var was bool
		err := tx.QueryRow(ctx, `SELECT key, enabled FROM rules WHERE id = $1 FOR UPDATE`, id).Scan(&key, &was)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("rule %d: %w", id, derrors.NotFound)
		}
		if err != nil {
			return fmt.Errorf("read rule %d: %w", id, err)
		}
		if was == enabled {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE rules SET enabled = $2, updated_at = $3 WHERE id = $1`, id, enabled, now); err != nil {
			return fmt.Errorf("set rule %s enabled: %w", key, err)
		}
		action := "rule.disable"
		if enabled {
			action = "rule.enable"
		}
		return auditRule(ctx, tx, now, actor, action, key, strings.TrimSpace(reason), map[string]any{"enabled": enabled})
	})
}

// check validates a rule about to be stored: Rule.Validate with the key
// prefix taken off the field names, the edit's own problems, and that its
// statuses and templates exist (and have a version on each channel).
func (e *Editor) check(ctx context.Context, r Rule, fs derrors.Fields) error {
	var vf derrors.Fields
	if errors.As(r.Validate(), &vf) {
		for _, f := range vf {
			f.Field = strings.TrimPrefix(f.Field, r.Key+".")
			if f.Field == "offset_minutes" {
				f.Field = "offset"
			}
			fs = append(fs, f)
		}
	}
	statuses := map[string]bool{}
	rows, err := e.db.Pool.Query(ctx, `SELECT key FROM canonical_statuses WHERE active`)
	if err != nil {
		return fmt.Errorf("%w: read statuses: %w", derrors.Unavailable, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("%w: read statuses: %w", derrors.Unavailable, err)
	}
	for _, k := range keys {
		statuses[k] = true
	}
	for _, s := range []struct{ field, key string }{{"from_status", r.FromStatus}, {"to_status", r.ToStatus}} {
		if s.key != "" && !statuses[s.key] {
			fs = append(fs, &derrors.FieldError{Field: s.field, Problem: fmt.Sprintf("%q is not a canonical status", s.key),
				Fix: "pick a status from the list; map new CMS values on the Data health screen"})
		}
	}
	fams, err := e.templates.List(ctx)
	if err != nil {
		return fmt.Errorf("%w: list templates: %w", derrors.Unavailable, err)
	}
	channels := map[string][]string{}
	for _, f := range fams {
		channels[f.Key] = append(channels[f.Key], f.Channel)
	}
	for i, a := range r.Actions {
		if a.Type != ActionSend || a.Template == "" {
			continue
		}
		have, ok := channels[a.Template]
		if !ok {
			fs = append(fs, &derrors.FieldError{Field: fmt.Sprintf("actions[%d].template", i), Problem: fmt.Sprintf("%q is not a template", a.Template),
				Fix: "pick a template from the list (the Templates screen shows them all)"})
			continue
		}
		for _, ch := range a.Channels {
			if (ch == ChannelEmail || ch == ChannelSMS) && !slices.Contains(have, ch) {
				fs = append(fs, &derrors.FieldError{Field: fmt.Sprintf("actions[%d].channels", i),
					Problem: fmt.Sprintf("template %s has no %s version", a.Template, ch),
					Fix:     fmt.Sprintf("remove %s, or write the %s version on the Templates screen first", ch, ch)})
			}
		}
	}
	return fs.Err()
}

func (e *Editor) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := e.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// auditSummary is a rule's editable fields for the audit log.
func auditSummary(r Rule) map[string]any {
	m := map[string]any{"name": r.Name, "requires_approval": r.RequiresApproval, "approval_ttl": (time.Duration(r.ApprovalTTLSeconds) * time.Second).String()}
	switch r.Trigger {
	case TriggerStatusTransition:
		m["from_status"], m["to_status"] = r.FromStatus, r.ToStatus
	case TriggerDateReminder:
		m["offset"], m["at_local_time"] = FormatOffset(r.OffsetMinutes), r.AtLocalTime
	case TriggerInactivity:
		m["inactivity_days"] = r.InactivityDays
	}
	m["settle_delay"] = "firm default"
	if r.SettleDelaySeconds != nil {
		m["settle_delay"] = (time.Duration(*r.SettleDelaySeconds) * time.Second).String()
	}
	for i, a := range r.Actions {
		if a.Type == ActionSend {
			m[fmt.Sprintf("actions[%d]", i)] = fmt.Sprintf("send %s on %s (%s, fallback %v)", a.Template, strings.Join(a.Channels, ", "), orAll(a.Mode), a.Fallback)
		}
	}
	return m
}

// changes lists the summary fields that differ between a and b.
func changes(a, b Rule) (changed []string, before, after map[string]any) {
	sa, sb := auditSummary(a), auditSummary(b)
	before, after = map[string]any{}, map[string]any{}
	for k, v := range sb {
		if fmt.Sprint(sa[k]) != fmt.Sprint(v) {
			changed = append(changed, k)
			before[k], after[k] = sa[k], v
		}
	}
	slices.Sort(changed)
	return changed, before, after
}

func orAll(mode string) string {
	if mode == "" {
		return "all"
	}
	return mode
}

func auditRule(ctx context.Context, tx pgx.Tx, now time.Time, actor, action, key, reason string, details map[string]any) error {
	b, _ := json.Marshal(details)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, reason, details, created_at)
		VALUES ($1, $2, 'rule', $3, $4, $5, $6)`, actor, action, key, reason, b, now); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
