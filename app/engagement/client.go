package engagement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/delivery"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ledger"
)

// Channel states in ClientEngagement.
const (
	ChannelWorks     = "works"     // a message on it was delivered
	ChannelUntested  = "untested"  // reachable, nothing delivered yet
	ChannelOptedOut  = "opted_out" // the client opted out
	ChannelInvalid   = "invalid"   // bounced email, or a landline
	ChannelNoAddress = "missing"   // no address on file
)

// ChannelState is how one channel reaches the client.
type ChannelState struct {
	Channel         string     `json:"channel"`
	Address         string     `json:"address"`
	State           string     `json:"state"`
	LastDeliveredAt *time.Time `json:"last_delivered_at"`
}

// InboundMessage is a message the client sent.
type InboundMessage struct {
	ID        int64     `json:"id"`
	CaseID    *int64    `json:"case_id"`
	Channel   string    `json:"channel"`
	Body      string    `json:"body"`
	Intent    string    `json:"intent"`
	Unread    bool      `json:"unread"`
	CreatedAt time.Time `json:"created_at"`
}

// ClientEngagement is the engagement summary shown on a client's timeline:
// last contact either way, which channels work, opt-out state, and what the
// client wrote (newest first, at most 100).
type ClientEngagement struct {
	ClientID      int64            `json:"client_id"`
	LastSentAt    *time.Time       `json:"last_sent_at"`
	LastReplyAt   *time.Time       `json:"last_reply_at"`
	Unread        int              `json:"unread"`
	Channels      []ChannelState   `json:"channels"`
	Inbound       []InboundMessage `json:"inbound"`
	CheckinScores []int            `json:"checkin_scores"`
}

// ClientEngagement returns the summary for client id.
func (s *Service) ClientEngagement(ctx context.Context, clientID int64) (ClientEngagement, error) {
	q := s.d.DB.Pool
	e := ClientEngagement{ClientID: clientID, Inbound: []InboundMessage{}, CheckinScores: []int{}}
	var email, phone string
	var emailInvalid, landline bool
	err := q.QueryRow(ctx, `SELECT COALESCE(c.email, ''), COALESCE(c.mobile_phone, ''), c.email_invalid,
		EXISTS (SELECT 1 FROM data_findings d JOIN cases k ON k.id = d.case_id
		        WHERE k.client_id = c.id AND d.code = $2 AND d.resolved_at IS NULL)
		FROM clients c WHERE c.id = $1`, clientID, cases.CodeLandline).Scan(&email, &phone, &emailInvalid, &landline)
	if errors.Is(err, pgx.ErrNoRows) {
		return e, fmt.Errorf("client %d: %w", clientID, derrors.NotFound)
	}
	if err != nil {
		return e, dbErr("read client", err)
	}
	if err := q.QueryRow(ctx, `SELECT max(sent_at) FROM messages WHERE client_id = $1`, clientID).Scan(&e.LastSentAt); err != nil {
		return e, dbErr("last sent", err)
	}
	if err := q.QueryRow(ctx, `SELECT max(created_at), count(*) FILTER (WHERE unread) FROM inbound_messages WHERE client_id = $1`,
		clientID).Scan(&e.LastReplyAt, &e.Unread); err != nil {
		return e, dbErr("last reply", err)
	}
	for _, ch := range []struct {
		name, addr string
		invalid    bool
	}{{delivery.ChannelSMS, phone, landline}, {delivery.ChannelEmail, email, emailInvalid}} {
		st, err := s.channelState(ctx, clientID, ch.name, ch.addr, ch.invalid)
		if err != nil {
			return e, err
		}
		e.Channels = append(e.Channels, st)
	}
	rows, err := q.Query(ctx, `SELECT id, case_id, channel, body, intent, unread, created_at FROM inbound_messages
		WHERE client_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100`, clientID)
	if err != nil {
		return e, dbErr("list inbound", err)
	}
	e.Inbound, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (InboundMessage, error) {
		var m InboundMessage
		return m, r.Scan(&m.ID, &m.CaseID, &m.Channel, &m.Body, &m.Intent, &m.Unread, &m.CreatedAt)
	})
	if err != nil {
		return e, dbErr("list inbound", err)
	}
	rows, err = q.Query(ctx, `SELECT score FROM checkin_responses WHERE client_id = $1 ORDER BY created_at DESC, id DESC`, clientID)
	if err != nil {
		return e, dbErr("list scores", err)
	}
	e.CheckinScores, err = pgx.CollectRows(rows, pgx.RowTo[int])
	return e, dbErr("list scores", err)
}

func (s *Service) channelState(ctx context.Context, clientID int64, channel, addr string, invalid bool) (ChannelState, error) {
	st := ChannelState{Channel: channel, Address: addr}
	if strings.TrimSpace(addr) == "" {
		st.State = ChannelNoAddress
		return st, nil
	}
	out, err := s.d.Consent.IsOptedOut(ctx, channel, addr)
	if err != nil {
		return st, dbErr("check opt-out", err)
	}
	err = s.d.DB.Pool.QueryRow(ctx, `SELECT max(delivered_at) FROM messages WHERE client_id = $1 AND channel = $2 AND recipient = $3`,
		clientID, channel, addr).Scan(&st.LastDeliveredAt)
	if err != nil {
		return st, dbErr("last delivered", err)
	}
	switch {
	case out:
		st.State = ChannelOptedOut
	case invalid:
		st.State = ChannelInvalid
	case st.LastDeliveredAt != nil:
		st.State = ChannelWorks
	default:
		st.State = ChannelUntested
	}
	return st, nil
}

// MarkRead marks every unread message of the client read; it returns how
// many it marked.
func (s *Service) MarkRead(ctx context.Context, clientID int64) (int, error) {
	tag, err := s.d.DB.Pool.Exec(ctx, `UPDATE inbound_messages SET unread = false WHERE client_id = $1 AND unread`, clientID)
	if err != nil {
		return 0, dbErr("mark read", err)
	}
	return int(tag.RowsAffected()), nil
}

// StaffReply is a reply a staff member writes to a client from the portal.
type StaffReply struct {
	ClientID int64
	CaseID   *int64
	Body     string
	Actor    string
	// Key makes the request idempotent (a form token); a resubmitted form
	// returns the same message.
	Key string
}

// ErrOptedOut refuses a staff reply to a client who opted out of text
// messages: consent is never overridden, not even by a person.
var ErrOptedOut = fmt.Errorf("%w: the client opted out of text messages, so Herald will not text them "+
	"(they can text START to opt back in); call or email them instead", derrors.Conflict)

// SendStaffReply adds the reply to the ledger as a staff_reply SMS to the
// client's mobile number, audited, and wakes delivery, so it is retried and
// logged like every message. A client who opted out of SMS is refused at once
// (ErrOptedOut); delivery still re-checks opt-out, pauses and the SMS window
// when sending. Without a case the reply belongs to the client's latest
// case. It returns the message id and marks the client's messages read.
func (s *Service) SendStaffReply(ctx context.Context, r StaffReply) (int64, error) {
	if strings.TrimSpace(r.Body) == "" {
		return 0, derrors.Invalid("body", "is empty", "write the reply")
	}
	if r.Key == "" {
		return 0, derrors.Invalid("key", "is empty", "send a unique key per reply so a resubmission is not sent twice")
	}
	var phone *string
	err := s.d.DB.Pool.QueryRow(ctx, `SELECT mobile_phone FROM clients WHERE id = $1`, r.ClientID).Scan(&phone)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("client %d: %w", r.ClientID, derrors.NotFound)
	}
	if err != nil {
		return 0, dbErr("read client", err)
	}
	if phone == nil || *phone == "" {
		return 0, derrors.Invalid("client", "has no mobile number", "fix the number in the CMS or call the client")
	}
	out, err := s.d.Consent.IsOptedOut(ctx, delivery.ChannelSMS, *phone)
	if err != nil {
		return 0, dbErr("check opt-out", err)
	}
	if out {
		return 0, ErrOptedOut
	}
	if r.CaseID == nil {
		// The reply belongs to the client's latest case, so that case's
		// pause holds it like any message about the case.
		var id int64
		err := s.d.DB.Pool.QueryRow(ctx, `SELECT id FROM cases WHERE client_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 1`, r.ClientID).Scan(&id)
		switch {
		case err == nil:
			r.CaseID = &id
		case !errors.Is(err, pgx.ErrNoRows):
			return 0, dbErr("find case", err)
		}
	}
	now := s.d.Clock.Now()
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	id, created, err := ledger.Insert(ctx, tx, ledger.NewMessage{IdempotencyKey: fmt.Sprintf("staff:%d:%s", r.ClientID, r.Key),
		Kind: "staff_reply", ClientID: &r.ClientID, CaseID: r.CaseID, Channel: delivery.ChannelSMS, Recipient: *phone,
		BodyText: r.Body, Status: ledger.StatusPending, DueAt: now})
	if err != nil {
		return 0, dbErr("record staff reply", err)
	}
	if created {
		if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, details, created_at)
			VALUES ($1, 'message.staff_reply', 'message', $2, jsonb_build_object('client_id', $3::bigint), $4)`,
			r.Actor, fmt.Sprint(id), r.ClientID, now); err != nil {
			return 0, dbErr("audit staff reply", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE inbound_messages SET unread = false WHERE client_id = $1 AND unread`, r.ClientID); err != nil {
			return 0, dbErr("mark read", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, dbErr("commit staff reply", err)
	}
	if err := s.d.Enqueuer.EnqueueMessage(ctx, id, 1, time.Time{}); err != nil {
		// The delivery sweep wakes due messages Redis does not know about.
		s.d.Log.WarnContext(ctx, "enqueue staff reply", "message_id", id, "error", err)
	}
	return id, nil
}
