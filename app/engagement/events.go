package engagement

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
)

// providerEvent is one provider_events row.
type providerEvent struct {
	Provider    string
	EventID     string
	Type        string
	MessageID   *int64
	MachineOpen bool
	Payload     []byte // JSON
	OccurredAt  *time.Time
}

// seen reports whether the provider event is already stored.
func (s *Service) seen(ctx context.Context, provider, eventID string) (bool, error) {
	var ok bool
	err := s.d.DB.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM provider_events WHERE provider = $1 AND provider_event_id = $2)`,
		provider, eventID).Scan(&ok)
	return ok, dbErr("check provider event", err)
}

// insertEvent stores e in tx; inserted is false when a concurrent copy of the
// same event won, and the caller must then do nothing more.
func insertEvent(ctx context.Context, tx pgx.Tx, e providerEvent, now time.Time) (inserted bool, err error) {
	payload := e.Payload
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	tag, err := tx.Exec(ctx, `INSERT INTO provider_events (provider, provider_event_id, message_id, event_type, machine_open,
		payload, occurred_at, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (provider, provider_event_id) DO NOTHING`,
		e.Provider, e.EventID, e.MessageID, e.Type, e.MachineOpen, payload, e.OccurredAt, now)
	if err != nil {
		return false, dbErr("store provider event", err)
	}
	return tag.RowsAffected() == 1, nil
}

// msgRef is what an event handler needs to know about the message an event
// is about.
type msgRef struct {
	ID        int64
	ClientID  *int64
	CaseID    *int64
	Channel   string
	Recipient string
	Status    string
}

// findMessage returns message id, or by the provider's id when id is 0.
// found is false when neither matches a ledger row.
func (s *Service) findMessage(ctx context.Context, id int64, provider, providerID string) (msgRef, bool, error) {
	var m msgRef
	var err error
	const cols = `SELECT id, client_id, case_id, channel, recipient, status FROM messages `
	switch {
	case id > 0:
		err = s.d.DB.Pool.QueryRow(ctx, cols+`WHERE id = $1`, id).
			Scan(&m.ID, &m.ClientID, &m.CaseID, &m.Channel, &m.Recipient, &m.Status)
	case providerID != "":
		err = s.d.DB.Pool.QueryRow(ctx, cols+`WHERE provider = $1 AND provider_message_id = $2`, provider, providerID).
			Scan(&m.ID, &m.ClientID, &m.CaseID, &m.Channel, &m.Recipient, &m.Status)
	default:
		return msgRef{}, false, nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		if id > 0 && providerID != "" {
			return s.findMessage(ctx, 0, provider, providerID)
		}
		return msgRef{}, false, nil
	}
	if err != nil {
		return msgRef{}, false, dbErr("find message", err)
	}
	return m, true, nil
}

// advance moves a message forward, logging (not failing on) a refusal: a
// late or out-of-order event simply does not move it.
func (s *Service) advance(ctx context.Context, m msgRef, to string, at time.Time, reason, fix string) error {
	if _, err := s.d.Ledger.Advance(ctx, m.ID, to, at, reason, fix); err != nil {
		return dbErr("advance message", err)
	}
	return nil
}

func idPtr(m msgRef, ok bool) *int64 {
	if !ok {
		return nil
	}
	return &m.ID
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
