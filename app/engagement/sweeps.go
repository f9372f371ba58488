package engagement

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/tasks"
)

// ReconcileSent looks up, at the provider, SMS that have stayed "sent" for
// ReconcileSentAfter without a final status (a lost status callback), and
// applies what the provider reports as if the callback had arrived: the same
// forward-only move and the same consequences (landline, opt-out). A message
// is looked up at most once per ReconcileSentAfter and not after
// ReconcileMaxAge. It returns how many lookups changed something.
func (s *Service) ReconcileSent(ctx context.Context) (int, error) {
	if s.d.Lookup == nil {
		return 0, nil
	}
	now := s.d.Clock.Now()
	stale := now.Add(-s.cfg.ReconcileSentAfter)
	rows, err := s.d.DB.Pool.Query(ctx, `SELECT m.id, m.provider_message_id FROM messages m
		LEFT JOIN sms_status_checks k ON k.message_id = m.id
		WHERE m.status = 'sent' AND m.channel = 'sms' AND m.provider = 'twilio' AND m.provider_message_id IS NOT NULL
		  AND m.sent_at < $1 AND m.sent_at > $2 AND (k.checked_at IS NULL OR k.checked_at < $1)
		ORDER BY m.sent_at LIMIT $3`, stale, now.Add(-s.cfg.ReconcileMaxAge), s.cfg.Batch)
	if err != nil {
		return 0, dbErr("list stuck sms", err)
	}
	type stuck struct {
		id  int64
		sid string
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stuck, error) {
		var x stuck
		return x, r.Scan(&x.id, &x.sid)
	})
	if err != nil {
		return 0, dbErr("list stuck sms", err)
	}
	n := 0
	var errs []error
	for _, x := range list {
		status, code, err := s.d.Lookup.Lookup(ctx, x.sid)
		var se *delivery.SendError
		switch {
		case errors.As(err, &se) && se.HTTPStatus == http.StatusNotFound:
			status = "not_found"
		case err != nil:
			errs = append(errs, fmt.Errorf("look up message %d: %w", x.id, err))
			continue
		}
		if _, err := s.d.DB.Pool.Exec(ctx, `INSERT INTO sms_status_checks (message_id, checks, last_status, checked_at)
			VALUES ($1, 1, $2, $3) ON CONFLICT (message_id) DO UPDATE SET checks = sms_status_checks.checks + 1,
			last_status = EXCLUDED.last_status, checked_at = EXCLUDED.checked_at`, x.id, status, now); err != nil {
			return n, dbErr("record status check", err)
		}
		if status == "not_found" {
			continue // a message Twilio accepted but cannot find: leave it for a human, do not guess
		}
		form := url.Values{"MessageSid": {x.sid}, "MessageStatus": {status}, "Source": {"lookup"}}
		if code != "" {
			form.Set("ErrorCode", code)
		}
		applied, err := s.HandleStatus(ctx, TwilioStatus{MessageID: x.id, MessageSid: x.sid, Status: status, ErrorCode: code, Params: form})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if applied && status != "sent" {
			n++
		}
		s.d.Log.InfoContext(ctx, "reconcile sent", "event_type", "message.reconcile_sent", "message_id", x.id,
			"result", status, "error_code", code)
	}
	return n, errors.Join(errs...)
}

// Escalate creates one "call the client" task per upcoming hearing that
// the client has not confirmed and that Herald's reminders may not have
// reached: a court-date reminder failed (dead) and no reminder for that
// hearing was delivered, or an email reminder was sent, none was opened
// (machine opens do not count), and the hearing is within EscalateBefore.
// The task goes to the case's paralegal (else its attorney). It returns how
// many tasks it created.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	rows, err := s.d.DB.Pool.Query(ctx, `SELECT k.id, k.client_id, COALESCE(NULLIF(k.paralegal_id, ''), k.attorney_id, ''),
			k.next_court_at, max(m.id),
			bool_or(m.status = 'dead'),
			bool_or(m.status IN ('delivered', 'opened', 'clicked', 'replied')),
			bool_or(m.channel = 'email' AND m.sent_at IS NOT NULL),
			bool_or(m.channel = 'email' AND m.status IN ('opened', 'clicked', 'replied'))
		FROM cases k
		JOIN reminders r ON r.case_id = k.id AND r.date_field = 'next_court_date' AND r.target_at = k.next_court_at
		JOIN messages m ON m.case_id = k.id AND m.kind = 'reminder'
		     AND r.id = substring(m.idempotency_key from '^rem:([0-9]+):')::bigint
		WHERE k.next_court_at > $1 AND k.hearing_confirmed_at IS NULL
		GROUP BY k.id`, now)
	if err != nil {
		return 0, dbErr("list hearings to escalate", err)
	}
	type hearing struct {
		caseID, clientID, messageID    int64
		assignee                       string
		at                             time.Time
		dead, reached, emailed, opened bool
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (hearing, error) {
		var h hearing
		return h, r.Scan(&h.caseID, &h.clientID, &h.assignee, &h.at, &h.messageID, &h.dead, &h.reached, &h.emailed, &h.opened)
	})
	if err != nil {
		return 0, dbErr("list hearings to escalate", err)
	}
	n := 0
	for _, h := range list {
		var why string
		switch {
		case h.dead && !h.reached:
			why = "The court-date reminder could not be delivered."
		case h.emailed && !h.opened && !h.at.After(now.Add(s.cfg.EscalateBefore)):
			why = fmt.Sprintf("The court-date reminder email was not opened and the hearing is not confirmed, %s before it.",
				h.at.Sub(now).Round(time.Hour))
		default:
			continue
		}
		due := h.at
		_, created, err := tasks.Create(ctx, s.d.DB.Pool, tasks.NewTask{
			DedupeKey: fmt.Sprintf("escalate:%d:%d", h.caseID, h.at.Unix()), Kind: tasks.KindFollowUp,
			Title: "Call the client about their court date", Body: why + " Call them to make sure they know when and where to be.",
			CaseID: &h.caseID, ClientID: &h.clientID, MessageID: &h.messageID, AssigneeCMSID: h.assignee, DueAt: &due})
		if err != nil {
			return n, dbErr("create escalation task", err)
		}
		if created {
			n++
			s.d.Log.InfoContext(ctx, "escalate", "event_type", "hearing.escalated", "case_id", h.caseID, "result", "task_created", "reason", why)
		}
	}
	return n, nil
}
