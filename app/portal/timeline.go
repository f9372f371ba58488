package portal

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Timeline entry kinds.
const (
	KindEvent    = "event"
	KindDecision = "decision"
	KindMessage  = "message"
	KindReply    = "reply"
	KindConsent  = "consent"
)

// TimelineFilter narrows a client's timeline.
type TimelineFilter struct {
	Channel string // email or sms; applies to messages, replies and consent
	Status  string // message status; when set only messages are listed
}

// Attempt is one delivery attempt of a message.
type Attempt struct {
	Attempt           int
	StartedAt         time.Time
	FinishedAt        *time.Time
	Outcome           string
	Provider          string
	ProviderMessageID string
	HTTPStatus        *int
	ErrorCode         string
	ErrorMessage      string
}

// ProviderEvent is a status the provider reported for a message.
type ProviderEvent struct {
	Provider        string
	ProviderEventID string
	EventType       string
	OccurredAt      *time.Time
	ReceivedAt      time.Time
}

// TimelineMessage is a message with its frozen content and delivery history.
type TimelineMessage struct {
	ID                int64
	Kind              string
	Channel           string
	Recipient         string
	Subject           string
	BodyText          string
	Status            string
	HoldReason        string
	Provider          string
	ProviderMessageID string
	DeadReason        string
	SuggestedFix      string
	TemplateVersionID *int64
	Attempts          []Attempt
	ProviderEvents    []ProviderEvent
}

// TimelineEntry is one thing that happened for the client.
type TimelineEntry struct {
	At      time.Time
	Kind    string
	CaseID  *int64
	Channel string
	Status  string
	Title   string
	Detail  string
	Message *TimelineMessage
}

// Timeline answers "did the client get it?" in one list, newest first.
type Timeline struct {
	ClientID   int64
	ClientName string
	Email      string
	Phone      string
	Filter     TimelineFilter
	Entries    []TimelineEntry
}

// ErrClientNotFound is returned for an unknown client.
var ErrClientNotFound = notFound("client")

// Timeline returns client clientID's events, decisions, messages (with every
// attempt and provider status), replies and consent changes.
func (r *Reader) Timeline(ctx context.Context, clientID int64, f TimelineFilter) (Timeline, error) {
	var head []struct{ Name, Email, Phone string }
	if err := r.scan(ctx, "client", &head, `SELECT trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) AS name,
		coalesce(email, '') AS email, coalesce(mobile_phone, '') AS phone FROM clients WHERE id = ?`, clientID); err != nil {
		return Timeline{}, err
	}
	if len(head) == 0 {
		return Timeline{}, ErrClientNotFound
	}
	t := Timeline{ClientID: clientID, ClientName: head[0].Name, Email: head[0].Email, Phone: head[0].Phone, Filter: f}
	onlyMessages := f.Status != ""
	if !onlyMessages && f.Channel == "" {
		var evs []struct {
			ID                       int64
			CaseID                   *int64
			Source, EventID          string
			EventType, Status, Error string
			ReceivedAt               time.Time
		}
		if err := r.scan(ctx, "events", &evs, `SELECT e.id, e.case_id, e.source, e.event_id, e.event_type, e.status, e.error, e.received_at
			FROM inbound_events e JOIN cases c ON c.id = e.case_id WHERE c.client_id = ? ORDER BY e.received_at DESC LIMIT 500`, clientID); err != nil {
			return t, err
		}
		for _, e := range evs {
			t.Entries = append(t.Entries, TimelineEntry{At: e.ReceivedAt, Kind: KindEvent, CaseID: e.CaseID, Status: e.Status,
				Title:  "CMS event " + orText(e.EventType, "update") + " from " + e.Source,
				Detail: strings.TrimSpace("event id " + e.EventID + " " + e.Error)})
		}
		var ds []struct {
			CaseID                           *int64
			RuleKey, Trigger, Result, Reason string
			CreatedAt                        time.Time
		}
		if err := r.scan(ctx, "decisions", &ds, `SELECT d.case_id, d.rule_key, d.trigger, d.result, d.reason, d.created_at
			FROM rule_decisions d WHERE d.client_id = ? OR d.case_id IN (SELECT id FROM cases WHERE client_id = ?)
			ORDER BY d.created_at DESC LIMIT 500`, clientID, clientID); err != nil {
			return t, err
		}
		for _, d := range ds {
			t.Entries = append(t.Entries, TimelineEntry{At: d.CreatedAt, Kind: KindDecision, CaseID: d.CaseID, Status: d.Result,
				Title: DecisionText(d.Result) + ": " + orText(d.RuleKey, d.Trigger), Detail: d.Reason})
		}
	}
	if err := r.timelineMessages(ctx, &t, clientID, f); err != nil {
		return t, err
	}
	if !onlyMessages {
		if err := r.timelineInbound(ctx, &t, clientID, f); err != nil {
			return t, err
		}
	}
	sort.SliceStable(t.Entries, func(i, j int) bool { return t.Entries[i].At.After(t.Entries[j].At) })
	return t, nil
}

func (r *Reader) timelineMessages(ctx context.Context, t *Timeline, clientID int64, f TimelineFilter) error {
	var msgs []messageRow
	where, args := `m.client_id = @client`, map[string]any{"client": clientID}
	if f.Channel != "" {
		where += ` AND m.channel = @channel`
		args["channel"] = f.Channel
	}
	if f.Status != "" {
		where += ` AND m.status = @status`
		args["status"] = f.Status
	}
	if err := r.scan(ctx, "messages", &msgs, `SELECT m.id, m.kind, m.channel, m.recipient, m.subject, m.body_text, m.status, m.hold_reason,
			m.provider, coalesce(m.provider_message_id, '') AS provider_message_id, m.dead_reason, m.suggested_fix,
			m.template_version_id, m.case_id, m.created_at
		FROM messages m WHERE `+where+` ORDER BY m.created_at DESC LIMIT 500`, args); err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	var atts []struct {
		MessageID int64
		Attempt
	}
	if err := r.scan(ctx, "attempts", &atts, `SELECT message_id, attempt, started_at, finished_at, outcome, provider,
		coalesce(provider_message_id, '') AS provider_message_id, http_status, error_code, error_message
		FROM delivery_attempts WHERE message_id IN ? ORDER BY attempt`, ids); err != nil {
		return err
	}
	var pes []struct {
		MessageID int64
		ProviderEvent
	}
	if err := r.scan(ctx, "provider events", &pes, `SELECT message_id, provider, provider_event_id, event_type, occurred_at, received_at
		FROM provider_events WHERE message_id IN ? ORDER BY coalesce(occurred_at, received_at), id`, ids); err != nil {
		return err
	}
	for _, m := range msgs {
		tm := m.message()
		for _, a := range atts {
			if a.MessageID == m.ID {
				tm.Attempts = append(tm.Attempts, a.Attempt)
			}
		}
		for _, p := range pes {
			if p.MessageID == m.ID {
				tm.ProviderEvents = append(tm.ProviderEvents, p.ProviderEvent)
			}
		}
		title := strings.ToUpper(m.Channel[:1]) + m.Channel[1:] + " to " + m.Recipient
		if m.Subject != "" {
			title += ": " + m.Subject
		}
		t.Entries = append(t.Entries, TimelineEntry{At: m.CreatedAt, Kind: KindMessage, CaseID: m.CaseID, Channel: m.Channel,
			Status: m.Status, Title: title, Detail: m.HoldReason, Message: &tm})
	}
	return nil
}

func (r *Reader) timelineInbound(ctx context.Context, t *Timeline, clientID int64, f TimelineFilter) error {
	var replies []struct {
		CaseID                             *int64
		Channel, FromAddress, Body, Intent string
		CreatedAt                          time.Time
	}
	where, args := `client_id = @client`, map[string]any{"client": clientID}
	if f.Channel != "" {
		where += ` AND channel = @channel`
		args["channel"] = f.Channel
	}
	if err := r.scan(ctx, "replies", &replies, `SELECT case_id, channel, from_address, body, intent, created_at
		FROM inbound_messages WHERE `+where+` ORDER BY created_at DESC LIMIT 500`, args); err != nil {
		return err
	}
	for _, m := range replies {
		t.Entries = append(t.Entries, TimelineEntry{At: m.CreatedAt, Kind: KindReply, CaseID: m.CaseID, Channel: m.Channel,
			Status: m.Intent, Title: "Reply from " + m.FromAddress, Detail: m.Body})
	}
	var consent []struct {
		Channel, Address, Action, Source, Text string
		CreatedAt                              time.Time
	}
	if err := r.scan(ctx, "consent", &consent, `SELECT channel, address, action, source, text, created_at
		FROM consent_events WHERE `+where+` ORDER BY created_at DESC LIMIT 200`, args); err != nil {
		return err
	}
	for _, c := range consent {
		t.Entries = append(t.Entries, TimelineEntry{At: c.CreatedAt, Kind: KindConsent, Channel: c.Channel, Status: c.Action,
			Title: strings.ReplaceAll(c.Action, "_", "-") + " (" + c.Source + ") for " + c.Address, Detail: c.Text})
	}
	return nil
}

// DecisionText explains a rule decision result in words.
func DecisionText(result string) string {
	switch result {
	case "fired":
		return "fired"
	case "skipped_paused":
		return "skipped: paused"
	case "skipped_opted_out":
		return "skipped: opted out"
	case "skipped_quiet_hours":
		return "skipped: quiet hours"
	case "skipped_condition":
		return "skipped: condition not met"
	case "skipped_stale":
		return "skipped: stale update"
	case "skipped_no_channel":
		return "skipped: no way to reach the client"
	case "cancelled_settle":
		return "cancelled: changed again while settling"
	case "unhandled":
		return "unhandled: no rule"
	}
	return strings.ReplaceAll(result, "_", " ")
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// messageRow is the flat shape GORM scans a message into.
type messageRow struct {
	ID                int64
	Kind              string
	Channel           string
	Recipient         string
	Subject           string
	BodyText          string
	Status            string
	HoldReason        string
	Provider          string
	ProviderMessageID string
	DeadReason        string
	SuggestedFix      string
	TemplateVersionID *int64
	CaseID            *int64
	CreatedAt         time.Time
}

func (m messageRow) message() TimelineMessage {
	return TimelineMessage{ID: m.ID, Kind: m.Kind, Channel: m.Channel, Recipient: m.Recipient, Subject: m.Subject,
		BodyText: m.BodyText, Status: m.Status, HoldReason: m.HoldReason, Provider: m.Provider,
		ProviderMessageID: m.ProviderMessageID, DeadReason: m.DeadReason, SuggestedFix: m.SuggestedFix,
		TemplateVersionID: m.TemplateVersionID}
}
