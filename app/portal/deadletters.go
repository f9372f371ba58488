package portal

import (
	"context"
	"strings"
	"time"
)

// DeadFilter narrows the dead-letter inbox.
type DeadFilter struct {
	Channel string
	Code    string
	Limit   int
}

// DeadLetter is one message that needs a human: dead for a known reason, or
// outcome_unknown (it may have been sent).
type DeadLetter struct {
	ID           int64
	Status       string
	Channel      string
	Recipient    string
	Subject      string
	CaseID       *int64
	CaseNumber   string
	ClientID     *int64
	ClientName   string
	Attempts     int
	Code         string
	Reason       string
	SuggestedFix string
	UpdatedAt    time.Time
}

// DeadLetterPage is the dead-letter inbox, split by kind.
type DeadLetterPage struct {
	Filter         DeadFilter
	Dead           []DeadLetter
	OutcomeUnknown []DeadLetter
	Codes          []Option
}

// DeadLetters lists unresolved dead letters, newest first.
func (r *Reader) DeadLetters(ctx context.Context, f DeadFilter) (DeadLetterPage, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 200
	}
	p := DeadLetterPage{Filter: f}
	where := []string{`m.status IN ('dead', 'outcome_unknown')`, `m.resolved_at IS NULL`}
	args := map[string]any{"limit": f.Limit}
	if f.Channel != "" {
		where = append(where, `m.channel = @channel`)
		args["channel"] = f.Channel
	}
	if f.Code != "" {
		where = append(where, `m.last_error_code = @code`)
		args["code"] = f.Code
	}
	var rows []DeadLetter
	if err := r.scan(ctx, "dead letters", &rows, `SELECT m.id, m.status, m.channel, m.recipient, m.subject, m.case_id,
			coalesce(c.case_number, c.external_id, '') AS case_number, m.client_id,
			trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name, m.attempts,
			m.last_error_code AS code, coalesce(nullif(m.dead_reason, ''), m.last_error) AS reason, m.suggested_fix, m.updated_at
		FROM messages m LEFT JOIN cases c ON c.id = m.case_id LEFT JOIN clients cl ON cl.id = m.client_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY m.updated_at DESC, m.id DESC LIMIT @limit`, args); err != nil {
		return p, err
	}
	for _, d := range rows {
		if d.Status == "outcome_unknown" {
			p.OutcomeUnknown = append(p.OutcomeUnknown, d)
		} else {
			p.Dead = append(p.Dead, d)
		}
	}
	err := r.scan(ctx, "dead letter codes", &p.Codes, `SELECT last_error_code AS value, last_error_code || ' (' || count(*) || ')' AS label
		FROM messages WHERE status IN ('dead', 'outcome_unknown') AND resolved_at IS NULL AND last_error_code <> ''
		GROUP BY last_error_code ORDER BY count(*) DESC`)
	return p, err
}
