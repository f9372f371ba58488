package ledger

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/derrors"
)

// TimelineFilter bounds a client's timeline. Zero fields do not filter. A
// filter on something an entry does not have leaves that kind of entry out:
// Channel lists no inbound events (they have no channel), Status lists only
// messages, CaseID lists no consent changes (they are client-wide).
type TimelineFilter struct {
	Since, Until time.Time
	CaseID       int64
	// Channel (email or sms) narrows messages, replies and consent changes,
	// and keeps the rule decisions about that channel or about every channel.
	Channel string
	// Status is a message status (delivered, dead, …).
	Status string
	// After continues a listing: only entries listed after this position
	// (see TimelinePos) are returned.
	After TimelinePos
	// Limit caps each section; default 200, at most 1000.
	Limit int
}

// Timeline answers "did the client get it?": every inbound event for the
// client's cases, every rule decision (including skipped ones, with the
// reason), every message with each attempt and provider event, the client's
// replies and consent changes. Sections are newest first.
type Timeline struct {
	ClientID  int64                 `json:"client_id"`
	Events    []TimelineEvent       `json:"events"`
	Decisions []Decision            `json:"decisions"`
	Messages  []TimelineMessage     `json:"messages"`
	Replies   []Reply               `json:"replies"`
	Consent   []consent.ExportEntry `json:"consent"`
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
	Channel        string    `json:"channel"`
	Actor          string    `json:"actor"`
	CreatedAt      time.Time `json:"created_at"`
}

// ProviderEvent is one provider webhook event about a message.
type ProviderEvent struct {
	ID              int64      `json:"id"`
	Provider        string     `json:"provider"`
	ProviderEventID string     `json:"provider_event_id"`
	EventType       string     `json:"event_type"`
	MachineOpen     bool       `json:"machine_open"`
	OccurredAt      *time.Time `json:"occurred_at"`
	ReceivedAt      time.Time  `json:"received_at"`
}

// TimelineMessage is a message with its whole delivery history.
type TimelineMessage struct {
	Message
	Attempts       []Attempt       `json:"attempts"`
	ProviderEvents []ProviderEvent `json:"provider_events"`
}

// Reply is a message the client sent (an SMS or email reply, a keyword).
// It is the timeline's view of engagement's inbound_messages (package
// engagement imports ledger, so its InboundMessage cannot be used here).
type Reply struct {
	ID          int64     `json:"id"`
	CaseID      *int64    `json:"case_id"`
	Channel     string    `json:"channel"`
	FromAddress string    `json:"from_address"`
	Body        string    `json:"body"`
	Intent      string    `json:"intent"`
	CreatedAt   time.Time `json:"created_at"`
}

// messageStatuses are the values TimelineFilter.Status accepts.
var messageStatuses = []string{StatusPending, StatusScheduled, StatusAwaitingApproval, StatusHeld, StatusSending,
	StatusSent, StatusDelivered, StatusOpened, StatusClicked, StatusReplied, StatusFailedRetrying,
	StatusOutcomeUnknown, StatusDead, StatusCancelled}

func (f *TimelineFilter) check() error {
	if f.Limit < 0 || f.Limit > 1000 {
		return derrors.Invalid("limit", fmt.Sprintf("%d is out of range", f.Limit), "use 1 to 1000")
	}
	if f.Limit == 0 {
		f.Limit = 200
	}
	if f.Channel != "" && f.Channel != "email" && f.Channel != "sms" {
		return derrors.Invalid("channel", fmt.Sprintf("%q is not a channel", f.Channel), "use email or sms, or leave it empty")
	}
	if f.Status != "" && !slices.Contains(messageStatuses, f.Status) {
		return derrors.Invalid("status", fmt.Sprintf("%q is not a message status", f.Status),
			"use one of pending, scheduled, held, sent, delivered, opened, clicked, replied, failed_retrying, outcome_unknown, dead, cancelled")
	}
	if f.After.Kind != "" && kindRank(f.After.Kind) == 0 {
		return derrors.Invalid("after", fmt.Sprintf("%q is not a timeline entry kind", f.After.Kind), "use the next-page link")
	}
	return nil
}

// Timeline returns the timeline of client clientID. Its sections and the
// provider statuses of its messages are read in one round trip (a pgx
// batch), the messages' attempts in one more.
func (s *Store) Timeline(ctx context.Context, clientID int64, f TimelineFilter) (Timeline, error) {
	if err := f.check(); err != nil {
		return Timeline{}, err
	}
	t := Timeline{ClientID: clientID, Events: []TimelineEvent{}, Decisions: []Decision{}, Messages: []TimelineMessage{},
		Replies: []Reply{}, Consent: []consent.ExportEntry{}}
	var exists bool
	var msgs []Message
	b := &pgx.Batch{}
	b.Queue(`SELECT EXISTS (SELECT 1 FROM clients WHERE id = $1)`, clientID).QueryRow(func(r pgx.Row) error { return r.Scan(&exists) })
	onlyMessages := f.Status != ""
	if !onlyMessages && f.Channel == "" {
		// Each of the client's cases gives its newest events through
		// inbound_events_case; the page is the newest of those.
		q := section{f: f}
		inner := `SELECT e.id, e.case_id, e.source, e.event_id, e.event_type, e.status, e.error, e.occurred_at, e.received_at,
			e.processed_at FROM inbound_events e WHERE e.case_id = c.id AND ` + q.window(KindEvent, "e.received_at", "e.id")
		queue(b, &t.Events, `SELECT e.* FROM cases c CROSS JOIN LATERAL (`+inner+`) e
			WHERE c.client_id = `+q.arg(clientID)+q.and("c.id = ", f.CaseID)+q.order("e.received_at", "e.id"), q.args,
			func(r pgx.CollectableRow) (TimelineEvent, error) {
				var e TimelineEvent
				err := r.Scan(&e.ID, &e.CaseID, &e.Source, &e.EventID, &e.EventType, &e.Status, &e.Error,
					&e.OccurredAt, &e.ReceivedAt, &e.ProcessedAt)
				return e, err
			})
	}
	if !onlyMessages {
		q := section{f: f}
		sql := `SELECT d.id, d.case_id, d.inbound_event_id, d.rule_key, d.trigger, d.result, d.reason, d.channel, d.actor, d.created_at
			FROM rule_decisions d WHERE d.client_id = ` + q.arg(clientID) + q.and("d.case_id = ", f.CaseID)
		if f.Channel != "" {
			sql += ` AND d.channel IN ('', ` + q.arg(f.Channel) + `)`
		}
		queue(b, &t.Decisions, sql+` AND `+q.window(KindDecision, "d.created_at", "d.id"), q.args, func(r pgx.CollectableRow) (Decision, error) {
			var d Decision
			err := r.Scan(&d.ID, &d.CaseID, &d.InboundEventID, &d.RuleKey, &d.Trigger, &d.Result, &d.Reason, &d.Channel, &d.Actor, &d.CreatedAt)
			return d, err
		})
	}
	q := section{f: f}
	page := ` FROM messages m WHERE m.client_id = ` + q.arg(clientID) + q.and("m.case_id = ", f.CaseID) +
		q.and("m.channel = ", f.Channel) + q.and("m.status = ", f.Status) + ` AND ` + q.window(KindMessage, "m.created_at", "m.id")
	queue(b, &msgs, `SELECT `+messageCols+page, q.args, func(r pgx.CollectableRow) (Message, error) {
		var m Message
		return m, scanMessage(r, &m)
	})
	// The page's provider events ride in the same batch.
	var events []messageEvent
	queue(b, &events, `SELECT message_id, id, provider, provider_event_id, event_type, machine_open, occurred_at, received_at
		FROM provider_events WHERE message_id IN (SELECT m.id`+page+`)
		ORDER BY message_id, COALESCE(occurred_at, received_at), id`, q.args, func(r pgx.CollectableRow) (messageEvent, error) {
		var e messageEvent
		err := r.Scan(&e.messageID, &e.ID, &e.Provider, &e.ProviderEventID, &e.EventType, &e.MachineOpen, &e.OccurredAt, &e.ReceivedAt)
		return e, err
	})
	if !onlyMessages {
		q := section{f: f}
		queue(b, &t.Replies, `SELECT r.id, r.case_id, r.channel, r.from_address, r.body, r.intent, r.created_at FROM inbound_messages r
			WHERE r.client_id = `+q.arg(clientID)+q.and("r.case_id = ", f.CaseID)+q.and("r.channel = ", f.Channel)+
			` AND `+q.window(KindReply, "r.created_at", "r.id"), q.args, func(r pgx.CollectableRow) (Reply, error) {
			var m Reply
			err := r.Scan(&m.ID, &m.CaseID, &m.Channel, &m.FromAddress, &m.Body, &m.Intent, &m.CreatedAt)
			return m, err
		})
	}
	if !onlyMessages && f.CaseID == 0 {
		q := section{f: f}
		queue(b, &t.Consent, `SELECT k.id, k.created_at, k.channel, k.address, k.action, k.source, k.text, k.actor, k.client_id
			FROM consent_events k WHERE k.client_id = `+q.arg(clientID)+q.and("k.channel = ", f.Channel)+
			` AND `+q.window(KindConsent, "k.created_at", "k.id"), q.args, func(r pgx.CollectableRow) (consent.ExportEntry, error) {
			var c consent.ExportEntry
			err := r.Scan(&c.ID, &c.At, &c.Channel, &c.Address, &c.Action, &c.Source, &c.Text, &c.Actor, &c.ClientID)
			return c, err
		})
	}
	if err := s.db.Pool.SendBatch(ctx, b).Close(); err != nil {
		return Timeline{}, dbErr("timeline", err)
	}
	if !exists {
		return Timeline{}, fmt.Errorf("client %d: %w", clientID, derrors.NotFound)
	}
	if err := s.messageHistory(ctx, &t, msgs, events); err != nil {
		return Timeline{}, err
	}
	return t, nil
}

// messageEvent is a provider event with the message it is about.
type messageEvent struct {
	messageID int64
	ProviderEvent
}

// messageHistory adds msgs to t with each one's attempts and provider
// events.
func (s *Store) messageHistory(ctx context.Context, t *Timeline, msgs []Message, events []messageEvent) error {
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
	for _, e := range events {
		tm := &t.Messages[index[e.messageID]]
		tm.ProviderEvents = append(tm.ProviderEvents, e.ProviderEvent)
	}
	attempts, err := s.Attempts(ctx, ids)
	if err != nil {
		return err
	}
	for _, a := range attempts {
		tm := &t.Messages[index[a.MessageID]]
		tm.Attempts = append(tm.Attempts, a)
	}
	return nil
}

// queue adds a section's query to b; its rows are scanned into dst when
// the batch is read.
func queue[T any](b *pgx.Batch, dst *[]T, sql string, args []any, scan pgx.RowToFunc[T]) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectRows(rows, scan)
		*dst = out
		return err
	})
}

// section builds the query of one timeline section with only the
// conditions the filter sets: a condition that a parameter switches off
// ("$2 = 0 OR case_id = $2") would leave Postgres's generic plan for the
// prepared statement unable to use the (owner, at DESC, id DESC) indexes.
type section struct {
	f    TimelineFilter
	args []any
}

// arg adds a parameter and returns its placeholder.
func (q *section) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// and returns " AND <cond><placeholder>" for a set value, "" for a zero one.
func (q *section) and(cond string, v any) string {
	switch x := v.(type) {
	case int64:
		if x == 0 {
			return ""
		}
	case string:
		if x == "" {
			return ""
		}
	}
	return " AND " + cond + q.arg(v)
}

// window is the condition that keeps a section's rows (at column atCol, id
// column idCol) within Since and Until and listed after f.After, ordered
// and limited as the merged timeline is.
func (q *section) window(kind, atCol, idCol string) string {
	var conds []string
	if !q.f.Since.IsZero() {
		conds = append(conds, atCol+" >= "+q.arg(q.f.Since))
	}
	if !q.f.Until.IsZero() && (q.f.After.At.IsZero() || !q.f.After.At.Before(q.f.Until)) {
		conds = append(conds, atCol+" < "+q.arg(q.f.Until))
	} else if !q.f.After.At.IsZero() {
		// Entries of the cursor's instant come after it when of an earlier
		// kind, or of its kind with a lower id.
		switch r, after := kindRank(kind), kindRank(q.f.After.Kind); {
		case r < after:
			conds = append(conds, atCol+" <= "+q.arg(q.f.After.At))
		case r > after:
			conds = append(conds, atCol+" < "+q.arg(q.f.After.At))
		default:
			conds = append(conds, "("+atCol+", "+idCol+") < ("+q.arg(q.f.After.At)+", "+q.arg(q.f.After.ID)+")")
		}
	}
	if len(conds) == 0 {
		conds = append(conds, "true")
	}
	return strings.Join(conds, " AND ") + q.order(atCol, idCol)
}

// order is the merged timeline's order and the section's limit, a literal
// so that a generic plan knows how few rows a page reads.
func (q *section) order(atCol, idCol string) string {
	return " ORDER BY " + atCol + " DESC, " + idCol + " DESC LIMIT " + strconv.Itoa(q.f.Limit)
}
