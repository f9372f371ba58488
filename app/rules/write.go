package rules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/tasks"
)

// writer records decisions for one case inside a planning transaction.
type writer struct {
	prep                      Prepared
	caseID, clientID, eventID int64
	now                       time.Time
	created                   []createdMessage
}

type createdMessage struct {
	id     int64
	status string
	due    time.Time
}

func (p *Planner) newWriter(prep Prepared, caseID, clientID, eventID int64, now time.Time) *writer {
	return &writer{prep: prep, caseID: caseID, clientID: clientID, eventID: eventID, now: now}
}

// keys name the idempotency keys of what one trigger creates.
type keys struct {
	// prefix is the trigger: "evt:<inbound event id>", "rem:<reminder id>"…
	prefix string
	// perRule adds the rule key to message keys (false for reminders, whose
	// prefix already names the rule).
	perRule bool
}

func (k keys) decision(d Decision) string {
	return strings.Join([]string{k.prefix, orDash(d.RuleKey), d.Result, orDash(d.Channel)}, ":")
}

func (k keys) message(d Decision, s Send) string {
	if k.perRule {
		return strings.Join([]string{k.prefix, d.RuleKey, s.Channel, s.Recipient}, ":")
	}
	return strings.Join([]string{k.prefix, s.Channel, s.Recipient}, ":")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// record writes decisions and, for each newly recorded fired decision, its
// messages and tasks.
func (w *writer) record(ctx context.Context, tx pgx.Tx, p *Planner, k keys, kind string, ds []Decision, vars render.Vars, c normalize.Case) error {
	if p.cfg.CheckinLink != nil && w.clientID != 0 {
		vars.CheckinLink = p.cfg.CheckinLink(w.caseID, w.clientID, w.now)
	}
	for _, d := range ds {
		id, created, err := w.insertDecision(ctx, tx, k.decision(d), d)
		if err != nil {
			return err
		}
		if !created || d.Result != ResultFired {
			continue
		}
		for _, s := range d.Sends {
			if err := w.insertMessage(ctx, tx, p, k.message(d, s), kind, id, d, s, vars, c); err != nil {
				return err
			}
		}
		for i, a := range d.Tasks {
			if err := w.insertTask(ctx, tx, fmt.Sprintf("%s:%s:task:%d", k.prefix, orDash(d.RuleKey), i), a, d, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) insertDecision(ctx context.Context, tx pgx.Tx, key string, d Decision) (int64, bool, error) {
	actor := d.Actor
	if actor == "" {
		actor = "system"
	}
	var ruleID, eventID *int64
	if d.RuleID != 0 {
		ruleID = &d.RuleID
	}
	if w.eventID != 0 {
		eventID = &w.eventID
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO rule_decisions (case_id, client_id, inbound_event_id, rule_id, rule_key, trigger,
		result, reason, actor, channel, dedupe_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id`,
		w.caseID, nullID(w.clientID), eventID, ruleID, d.RuleKey, d.Trigger, d.Result, d.Reason, actor, d.Channel, key, w.now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert decision %s: %w", key, err)
	}
	return id, true, nil
}

// insertMessage renders the template and adds the message to the ledger.
// A render error creates a dead message with the reason (never a blank
// one); privileged content in an SMS or a subject holds it for approval.
func (w *writer) insertMessage(ctx context.Context, tx pgx.Tx, p *Planner, key, kind string, decisionID int64, d Decision, s Send, vars render.Vars, c normalize.Case) error {
	m := ledger.NewMessage{
		IdempotencyKey: key, Kind: kind, CaseID: &w.caseID, ClientID: nullID(w.clientID), DecisionID: &decisionID,
		Channel: s.Channel, Recipient: s.Recipient, Status: s.Status, DueAt: s.DueAt, ApprovalExpiresAt: s.ApprovalExpiresAt,
	}
	if d.RuleID != 0 {
		m.RuleID = &d.RuleID
	}
	if w.eventID != 0 {
		m.InboundEventID = &w.eventID
	}
	tpl, err := w.prep.snap.template(s.Template, deref(c.Client.PreferredLanguage, ""), s.Channel, p.cfg.DefaultLang)
	var r render.Rendered
	if err == nil {
		m.TemplateVersionID = &tpl.Current.ID
		r, err = p.engine.Render(tpl.Render(), vars)
	}
	switch {
	case errors.Is(err, derrors.NotFound):
		m.Status, m.DeadReason = "dead", fmt.Sprintf("no %s template %q: %v", s.Channel, s.Template, err)
		m.SuggestedFix = "create the template (or fix the rule's template key) and retry the message"
	case err != nil:
		m.Status, m.DeadReason = "dead", fmt.Sprintf("template %s (%s) could not be rendered: %v", s.Template, s.Channel, err)
		m.SuggestedFix = "fix the template or the case data it needs, then retry the message"
	default:
		if s.Channel == ChannelSMS {
			m.BodyText = r.SMS
		} else {
			m.Subject, m.BodyText, m.BodyHTML = r.Subject, r.Text, r.HTML
		}
		guarded := r.SMS
		if s.Channel == ChannelEmail {
			guarded = r.Subject
		}
		if hits := render.ScanPrivileged(guarded, p.cfg.SensitiveWords); len(hits) > 0 && m.Status != StatusAwaitingApproval {
			exp := w.now.Add(48 * time.Hour)
			m.Status, m.ApprovalExpiresAt = StatusAwaitingApproval, &exp
			m.HoldReason = fmt.Sprintf("privileged content (%s %q) in the %s: an attorney must approve", hits[0].Kind, hits[0].Text, map[string]string{ChannelSMS: "SMS", ChannelEmail: "email subject"}[s.Channel])
		}
	}
	id, created, err := ledger.Insert(ctx, tx, m)
	if err != nil {
		return err
	}
	if created {
		w.created = append(w.created, createdMessage{id: id, status: m.Status, due: m.DueAt})
	}
	return nil
}

func (w *writer) insertTask(ctx context.Context, tx pgx.Tx, key string, a Action, d Decision, c normalize.Case) error {
	kind := tasks.KindFollowUp
	if a.Type == ActionNotify {
		kind = tasks.KindNotify
	}
	assignee := ""
	switch a.Assignee {
	case "attorney":
		assignee = deref(c.AttorneyID, "")
	case "paralegal":
		assignee = deref(c.ParalegalID, "")
	}
	body := a.Body
	if body == "" {
		body = fmt.Sprintf("Case %s: %s (rule %s).", deref(c.CaseNumber, c.CaseID), d.Reason, d.RuleKey)
	}
	_, _, err := tasks.Create(ctx, tx, tasks.NewTask{DedupeKey: key, Kind: kind, Title: a.Title, Body: body,
		CaseID: &w.caseID, ClientID: nullID(w.clientID), AssigneeCMSID: assignee})
	return err
}

// cancelSettling cancels this case's status-change messages still waiting
// out their settle window: the status moved again, so they are out of date.
func (w *writer) cancelSettling(ctx context.Context, tx pgx.Tx, prefix, newStatus string) error {
	rows, err := tx.Query(ctx, `UPDATE messages m SET status = 'cancelled', updated_at = $3,
			last_error = 'status changed again within the settle window'
		FROM rules r
		WHERE r.id = m.rule_id AND r.trigger = 'status_transition' AND m.case_id = $1 AND m.status = 'scheduled'
		  AND m.due_at > $3 AND m.inbound_event_id IS DISTINCT FROM $2
		RETURNING m.id, r.id, r.key`, w.caseID, nullID(w.eventID), w.now)
	if err != nil {
		return fmt.Errorf("cancel settling messages: %w", err)
	}
	type cancelled struct {
		msgID, ruleID int64
		ruleKey       string
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (cancelled, error) {
		var c cancelled
		return c, r.Scan(&c.msgID, &c.ruleID, &c.ruleKey)
	})
	if err != nil {
		return fmt.Errorf("cancel settling messages: %w", err)
	}
	for _, c := range cs {
		d := Decision{RuleID: c.ruleID, RuleKey: c.ruleKey, Trigger: TriggerStatusTransition, Result: ResultCancelledSettle,
			Reason: fmt.Sprintf("message %d cancelled: status changed again to %s within the settle window", c.msgID, newStatus)}
		if _, _, err := w.insertDecision(ctx, tx, fmt.Sprintf("%s:settle:%d", prefix, c.msgID), d); err != nil {
			return err
		}
	}
	return nil
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
