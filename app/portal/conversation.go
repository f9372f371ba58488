package portal

import (
	"context"
	"slices"
	"time"
)

// ConversationSize is how many texts the conversation view shows, newest
// ones kept; the timeline and its export have the rest.
const ConversationSize = 200

// Text is one SMS in a conversation: what the client wrote (Inbound) or
// what Herald or staff sent.
type Text struct {
	ID      int64 // inbound_messages.id when Inbound, else messages.id
	Inbound bool
	At      time.Time
	CaseID  *int64
	Body    string
	// Inbound only: how Herald read it (reply, opt_out, opt_in, help,
	// confirm, score) and whether staff have not seen it yet.
	Intent string
	Unread bool
	// Outbound only: the ledger's kind (rule, reminder, staff_reply,
	// confirmation, ...) and status, why it is held or failed, and who
	// wrote a staff reply.
	Kind       string
	Status     string
	HoldReason string
	Problem    string
	Author     string
}

// Conversation is a client's SMS thread, oldest first.
type Conversation struct {
	ClientID   int64
	ClientName string
	Phone      string
	Texts      []Text
	Unread     int
	// Older is true when older texts exist than the ones shown.
	Older bool
}

// Conversation returns the last ConversationSize texts between the firm
// and client clientID, both ways, in order.
func (r *Reader) Conversation(ctx context.Context, clientID int64) (Conversation, error) {
	var head []struct{ Name, Phone string }
	if err := r.scan(ctx, "client", &head, `SELECT trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) AS name,
		coalesce(mobile_phone, '') AS phone FROM clients WHERE id = ?`, clientID); err != nil {
		return Conversation{}, err
	}
	if len(head) == 0 {
		return Conversation{}, ErrClientNotFound
	}
	cv := Conversation{ClientID: clientID, ClientName: head[0].Name, Phone: head[0].Phone}
	var rows []struct {
		ID                                        int64
		Inbound                                   bool
		At                                        time.Time
		CaseID                                    *int64
		Body, Intent                              string
		Unread                                    bool
		Kind, Status, HoldReason, Problem, Author string
	}
	err := r.scan(ctx, "conversation", &rows, `(SELECT i.id, true AS inbound, i.created_at AS at, i.case_id, i.body, i.intent, i.unread,
			'' AS kind, '' AS status, '' AS hold_reason, '' AS problem, '' AS author
		FROM inbound_messages i WHERE i.client_id = @client AND i.channel = 'sms'
		ORDER BY i.created_at DESC, i.id DESC LIMIT @n)
		UNION ALL
		(SELECT m.id, false, m.created_at, m.case_id, m.body_text, '', false, m.kind, m.status, m.hold_reason,
			CASE WHEN m.status IN ('dead', 'cancelled', 'outcome_unknown', 'failed_retrying')
				THEN coalesce(nullif(m.dead_reason, ''), m.last_error) ELSE '' END,
			coalesce((SELECT a.actor FROM audit_log a WHERE a.target_type = 'message' AND a.target_id = m.id::text
				AND a.action = 'message.staff_reply' ORDER BY a.id LIMIT 1), '')
		FROM messages m WHERE m.client_id = @client AND m.channel = 'sms'
		ORDER BY m.created_at DESC, m.id DESC LIMIT @n)
		ORDER BY at DESC, inbound, id DESC LIMIT @n`,
		map[string]any{"client": clientID, "n": ConversationSize + 1})
	if err != nil {
		return cv, err
	}
	if len(rows) > ConversationSize {
		rows, cv.Older = rows[:ConversationSize], true
	}
	for _, x := range rows {
		cv.Texts = append(cv.Texts, Text{ID: x.ID, Inbound: x.Inbound, At: x.At, CaseID: x.CaseID, Body: x.Body,
			Intent: x.Intent, Unread: x.Unread, Kind: x.Kind, Status: x.Status, HoldReason: x.HoldReason,
			Problem: x.Problem, Author: x.Author})
		if x.Unread {
			cv.Unread++
		}
	}
	slices.Reverse(cv.Texts)
	return cv, nil
}
