package ledger

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// TimelineFilter bounds a client's timeline. Zero fields do not filter.
type TimelineFilter struct {
	Since, Until time.Time
	CaseID       int64
	// Limit caps each section (events, decisions, messages); default 200,
	// at most 1000.
	Limit int
}

// Timeline answers "did the client get it?": every inbound event for the
// client's cases, every rule decision (including skipped ones, with the
// reason), and every message with each attempt and provider event. Sections
// are newest first.
type Timeline struct {
	ClientID  int64             `json:"client_id"`
	Events    []TimelineEvent   `json:"events"`
	Decisions []Decision        `json:"decisions"`
	Messages  []TimelineMessage `json:"messages"`
}

// TimelineEvent is an inbound CMS event (its raw body is not included).
type TimelineEvent struct {
	ID          int64      `json:"id"`
	CaseID      *int64     `json:"case_id"`
	Source      string     `json:"source"`
	EventID     string     `json:"event_id"`
	EventType   string     `json:"event_type"`
	Status      string     `json:"status"`
	Error       string     `json:"error,omitempty"`
	OccurredAt  *time.Time `json:"occurred_at"`
	ReceivedAt  time.Time  `json:"received_at"`
	ProcessedAt *time.Time `json:"processed_at"`
}

// Decision is one rule decision: fired, or skipped and why.
type Decision struct {
	ID             int64     `json:"id"`
	CaseID         *int64    `json:"case_id"`
	InboundEventID *int64    `json:"inbound_event_id"`
	RuleKey        string    `json:"rule_key"`
	Trigger        string    `json:"trigger"`
	Result         string    `json:"result"`
	Reason         string    `json:"reason"`
	Actor          string    `json:"actor"`
	CreatedAt      time.Time `json:"created_at"`
}

// ProviderEvent is one provider webhook event about a message.
type ProviderEvent struct {
	ID          int64      `json:"id"`
	Provider    string     `json:"provider"`
	EventType   string     `json:"event_type"`
	MachineOpen bool       `json:"machine_open"`
	OccurredAt  *time.Time `json:"occurred_at"`
	ReceivedAt  time.Time  `json:"received_at"`
}

// TimelineMessage is a message with its whole delivery history.
type TimelineMessage struct {
	Message
	Attempts       []Attempt       `json:"attempts"`
	ProviderEvents []ProviderEvent `json:"provider_events"`
}

// Timeline returns the timeline of client clientID.
func (s *Store) Timeline(ctx context.Context, clientID int64, f TimelineFilter) (Timeline, error) {
	if f.Limit < 0 || f.Limit > 1000 {
		return Timeline{}, derrors.Invalid("limit", fmt.Sprintf("%d is out of range", f.Limit), "use 1 to 1000")
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	var exists bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)`, clientID).Scan(&exists); err != nil {
		return Timeline{}, dbErr("timeline", err)
	}
	if !exists {
		return Timeline{}, fmt.Errorf("client %d: %w", clientID, derrors.NotFound)
	}
	// Zero bounds become open ones so every query has the same shape.
	since, until := f.Since, f.Until
	if until.IsZero() {
		until = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	t := Timeline{ClientID: clientID, Events: []TimelineEvent{}, Decisions: []Decision{}, Messages: []TimelineMessage{}}
	rows, err := s.db.Pool.Query(ctx, `SELECT e.id, e.case_id, e.source, e.event_id, e.event_type, e.status, e.error,
		e.occurred_at, e.received_at, e.processed_at
		FROM inbound_events e JOIN cases c ON c.id = e.case_id
		WHERE c.client_id = $1 AND ($2 = 0 OR c.id = $2) AND e.received_at >= $3 AND e.received_at < $4
		ORDER BY e.received_at DESC, e.id DESC LIMIT $5`, clientID, f.CaseID, since, until, f.Limit)
	if err != nil {
		return Timeline{}, dbErr("timeline events", err)
	}
	t.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (TimelineEvent, error) {
		var e TimelineEvent
		err := r.Scan(&e.ID, &e.CaseID, &e.Source, &e.EventID, &e.EventType, &e.Status, &e.Error,
			&e.OccurredAt, &e.ReceivedAt, &e.ProcessedAt)
		return e, err
	})
	if err != nil {
		return Timeline{}, dbErr("timeline events", err)
	}
	rows, err = s.db.Pool.Query(ctx, `SELECT id, case_id, inbound_event_id, rule_key, trigger, result, reason, actor, created_at
		FROM rule_decisions WHERE client_id = $1 AND ($2 = 0 OR case_id = $2) AND created_at >= $3 AND created_at < $4
		ORDER BY created_at DESC, id DESC LIMIT $5`, clientID, f.CaseID, since, until, f.Limit)
	if err != nil {
		return Timeline{}, dbErr("timeline decisions", err)
	}
	t.Decisions, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Decision, error) {
		var d Decision
		err := r.Scan(&d.ID, &d.CaseID, &d.InboundEventID, &d.RuleKey, &d.Trigger, &d.Result, &d.Reason, &d.Actor, &d.CreatedAt)
		return d, err
	})
	if err != nil {
		return Timeline{}, dbErr("timeline decisions", err)
	}
	if err := s.timelineMessages(ctx, &t, f.CaseID, since, until, f.Limit); err != nil {
		return Timeline{}, err
	}
	return t, nil
}

func (s *Store) timelineMessages(ctx context.Context, t *Timeline, caseID int64, since, until time.Time, limit int) error {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+messageCols+` FROM messages m
		WHERE m.client_id = $1 AND ($2 = 0 OR m.case_id = $2) AND m.created_at >= $3 AND m.created_at < $4
		ORDER BY m.created_at DESC, m.id DESC LIMIT $5`, t.ClientID, caseID, since, until, limit)
	if err != nil {
		return dbErr("timeline messages", err)
	}
	msgs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		return m, scanMessage(r, &m)
	})
	if err != nil {
		return dbErr("timeline messages", err)
	}
	ids := make([]int64, len(msgs))
	index := make(map[int64]int, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
		index[m.ID] = i
		t.Messages = append(t.Messages, TimelineMessage{Message: m, Attempts: []Attempt{}, ProviderEvents: []ProviderEvent{}})
	}
	if len(ids) == 0 {
		return nil
	}
	attempts, err := s.Attempts(ctx, ids)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		tm := &t.Messages[index[a.MessageID]]
		tm.Attempts = append(tm.Attempts, a)
	}
	rows, err = s.db.Pool.Query(ctx, `SELECT message_id, id, provider, event_type, machine_open, occurred_at, received_at
		FROM provider_events WHERE message_id = ANY($1) ORDER BY message_id, COALESCE(occurred_at, received_at), id`, ids)
	if err != nil {
		return dbErr("timeline provider events", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mid int64
		var e ProviderEvent
		if err := rows.Scan(&mid, &e.ID, &e.Provider, &e.EventType, &e.MachineOpen, &e.OccurredAt, &e.ReceivedAt); err != nil {
			return dbErr("timeline provider events", err)
		}
		tm := &t.Messages[index[mid]]
		tm.ProviderEvents = append(tm.ProviderEvents, e)
	}
	return dbErr("timeline provider events", rows.Err())
}
