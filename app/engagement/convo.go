package engagement

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// convo is what Herald knows about the other side of an inbound SMS: the
// client and case it most likely concerns, the message it answers, and the
// staff who should hear about it.
type convo struct {
	ClientID, CaseID *int64
	// LastMessageID is the latest SMS Herald sent to the number.
	LastMessageID *int64
	// Reminder is the latest court-date reminder sent to the number within
	// the answer window, for a case whose hearing is still ahead.
	Reminder *answerable
	// Checkin is the latest satisfaction check-in within the answer window.
	Checkin *answerable
	// Assignee is the CMS id of the case's paralegal, or its attorney.
	Assignee string
}

// answerable is a message a reply can answer.
type answerable struct {
	MessageID int64
	CaseID    int64
}

// checkinTemplate is the template key of the satisfaction check-in; a send
// action with it is the check-in "rule action".
const checkinTemplate = "satisfaction_checkin"

// lookupConvo finds the conversation for a number at now.
func (s *Service) lookupConvo(ctx context.Context, from string, now time.Time) (convo, error) {
	var c convo
	q := s.d.DB.Pool
	var mid, clientID, caseID *int64
	err := q.QueryRow(ctx, `SELECT id, client_id, case_id FROM messages
		WHERE channel = 'sms' AND recipient = $1 AND sent_at IS NOT NULL ORDER BY sent_at DESC, id DESC LIMIT 1`, from).
		Scan(&mid, &clientID, &caseID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return c, dbErr("find last message", err)
	}
	c.LastMessageID, c.ClientID, c.CaseID = mid, clientID, caseID
	if c.ClientID == nil {
		var id int64
		err := q.QueryRow(ctx, `SELECT id FROM clients WHERE mobile_phone = $1 ORDER BY updated_at DESC, id DESC LIMIT 1`, from).Scan(&id)
		switch {
		case err == nil:
			c.ClientID = &id
		case !errors.Is(err, pgx.ErrNoRows):
			return c, dbErr("find client by phone", err)
		}
	}
	if c.CaseID == nil && c.ClientID != nil {
		var id int64
		err := q.QueryRow(ctx, `SELECT id FROM cases WHERE client_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1`, *c.ClientID).Scan(&id)
		switch {
		case err == nil:
			c.CaseID = &id
		case !errors.Is(err, pgx.ErrNoRows):
			return c, dbErr("find case", err)
		}
	}
	since := now.Add(-s.cfg.AnswerWindow)
	const answerSQL = `SELECT m.id, m.case_id FROM messages m
		JOIN cases k ON k.id = m.case_id
		LEFT JOIN template_versions tv ON tv.id = m.template_version_id
		LEFT JOIN message_templates mt ON mt.id = tv.template_id
		LEFT JOIN reminders r ON r.id = substring(m.idempotency_key from '^rem:([0-9]+):')::bigint
		WHERE m.channel = 'sms' AND m.recipient = $1 AND m.sent_at >= $2 AND `
	var a answerable
	err = q.QueryRow(ctx, answerSQL+`(r.date_field = 'next_court_date' OR mt.key LIKE 'court_reminder%') AND k.next_court_at > $3
		ORDER BY m.sent_at DESC, m.id DESC LIMIT 1`, from, since, now).Scan(&a.MessageID, &a.CaseID)
	switch {
	case err == nil:
		c.Reminder = &answerable{a.MessageID, a.CaseID}
	case !errors.Is(err, pgx.ErrNoRows):
		return c, dbErr("find court reminder", err)
	}
	err = q.QueryRow(ctx, answerSQL+`mt.key = $3 ORDER BY m.sent_at DESC, m.id DESC LIMIT 1`, from, since, checkinTemplate).
		Scan(&a.MessageID, &a.CaseID)
	switch {
	case err == nil:
		c.Checkin = &answerable{a.MessageID, a.CaseID}
	case !errors.Is(err, pgx.ErrNoRows):
		return c, dbErr("find check-in", err)
	}
	return c, s.assignee(ctx, &c)
}

// assignee sets c.Assignee from the case: its paralegal, else its attorney.
func (s *Service) assignee(ctx context.Context, c *convo) error {
	if c.CaseID == nil {
		return nil
	}
	err := s.d.DB.Pool.QueryRow(ctx, `SELECT COALESCE(NULLIF(paralegal_id, ''), attorney_id, '') FROM cases WHERE id = $1`, *c.CaseID).
		Scan(&c.Assignee)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return dbErr("find case staff", err)
}
