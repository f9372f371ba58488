package consent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// ExportEntry is one consent event in a client's evidence export.
type ExportEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Channel  string    `json:"channel"`
	Address  string    `json:"address"`
	Action   string    `json:"action"`
	Source   string    `json:"source"`
	Text     string    `json:"text"`
	Actor    string    `json:"actor"`
	ClientID *int64    `json:"client_id"`
}

// ClientState is the current opt-out answer for one of the client's
// addresses.
type ClientState struct {
	Channel  string `json:"channel"`
	Address  string `json:"address"`
	OptedOut bool   `json:"opted_out"`
}

// ClientExport is the consent evidence for one client: every opt-out and
// opt-in recorded for the client or for the client's current phone number
// and email address (an address may have opted out before Herald knew whose
// it was), oldest first, and the current answer per address.
type ClientExport struct {
	ClientID int64         `json:"client_id"`
	Current  []ClientState `json:"current"`
	Events   []ExportEntry `json:"events"`
}

// Export returns the consent evidence for client clientID.
func (s *Store) Export(ctx context.Context, clientID int64) (ClientExport, error) {
	out := ClientExport{ClientID: clientID, Current: []ClientState{}, Events: []ExportEntry{}}
	var email, phone *string
	err := s.db.Pool.QueryRow(ctx, `SELECT email, mobile_phone FROM clients WHERE id = $1`, clientID).Scan(&email, &phone)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, fmt.Errorf("client %d: %w", clientID, derrors.NotFound)
	}
	if err != nil {
		return out, fmt.Errorf("consent export: %w: %w", store.ErrUnavailable, err)
	}
	addr := func(channel string, p *string) string {
		if p == nil {
			return ""
		}
		return NormalizeAddress(channel, *p)
	}
	em, ph := addr("email", email), addr("sms", phone)
	rows, err := s.db.Pool.Query(ctx, `SELECT id, created_at, channel, address, action, source, text, actor, client_id
		FROM consent_events
		WHERE client_id = $1 OR (channel = 'email' AND address = $2) OR (channel = 'sms' AND address = $3)
		ORDER BY created_at, id`, clientID, em, ph)
	if err != nil {
		return out, fmt.Errorf("consent export: %w: %w", store.ErrUnavailable, err)
	}
	out.Events, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ExportEntry, error) {
		var e ExportEntry
		err := r.Scan(&e.ID, &e.At, &e.Channel, &e.Address, &e.Action, &e.Source, &e.Text, &e.Actor, &e.ClientID)
		return e, err
	})
	if err != nil {
		return out, fmt.Errorf("consent export: %w", err)
	}
	for _, c := range []struct{ channel, address string }{{"sms", ph}, {"email", em}} {
		if c.address == "" {
			continue
		}
		opted, err := s.IsOptedOut(ctx, c.channel, c.address)
		if err != nil {
			return out, err
		}
		out.Current = append(out.Current, ClientState{Channel: c.channel, Address: c.address, OptedOut: opted})
	}
	return out, nil
}
