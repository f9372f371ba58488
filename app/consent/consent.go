// Package consent owns opt-outs: the opt_outs table (the current answer per
// channel and address) and consent_events (every opt-out and opt-in with its
// source and the exact words the client used). Delivery asks IsOptedOut at
// send time; rules ask it when planning.
package consent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Actions a consent event records.
const (
	OptOut = "opt_out"
	OptIn  = "opt_in"
)

// Sources of a consent event.
const (
	SourceKeyword          = "keyword"           // STOP / START by SMS
	SourceNaturalLanguage  = "natural_language"  // "please stop texting me"
	SourceStaff            = "staff"             // recorded by staff in the portal
	SourceProviderError    = "provider_error"    // Twilio 21610 on send
	SourceUnsubscribeEvent = "unsubscribe_event" // SendGrid unsubscribe
	SourceSpamReport       = "spamreport"        // SendGrid spam report
	SourceCMS              = "cms"               // the CMS says so
)

var sources = []string{SourceKeyword, SourceNaturalLanguage, SourceStaff, SourceProviderError,
	SourceUnsubscribeEvent, SourceSpamReport, SourceCMS}

// Event is one opt-out or opt-in.
type Event struct {
	ClientID *int64
	Channel  string // email or sms
	Address  string // E.164 number or email address
	Action   string // OptOut or OptIn
	Source   string
	// Text is exactly what the client sent or the provider said.
	Text string
	// Actor is "client" unless staff or the system recorded it.
	Actor string
}

// Store records and answers consent. It is safe for concurrent use.
type Store struct {
	db    *store.DB
	clock clock.Clock
}

// New returns the consent store over db.
func New(db *store.DB, clk clock.Clock) *Store { return &Store{db: db, clock: clk} }

// NormalizeAddress returns the form addresses are stored under: email
// addresses lower-cased, phone numbers as given (E.164), both trimmed.
func NormalizeAddress(channel, address string) string {
	address = strings.TrimSpace(address)
	if channel == "email" {
		return strings.ToLower(address)
	}
	return address
}

// IsOptedOut reports whether address has opted out of channel.
func (s *Store) IsOptedOut(ctx context.Context, channel, address string) (bool, error) {
	return scanOptedOut(s.db.Pool.QueryRow(ctx, optedOutSQL, channel, NormalizeAddress(channel, address)))
}

// QueueOptedOut queues IsOptedOut's query on b, for a caller that sends it
// with other reads in one round trip (the planner, in its transaction).
// When b's results are read, out is set, or the error is returned from
// closing them.
func (s *Store) QueueOptedOut(b *pgx.Batch, channel, address string, out *bool) {
	b.Queue(optedOutSQL, channel, NormalizeAddress(channel, address)).QueryRow(func(row pgx.Row) (err error) {
		*out, err = scanOptedOut(row)
		return err
	})
}

const optedOutSQL = `SELECT opted_out FROM opt_outs WHERE channel = $1 AND address = $2`

func scanOptedOut(row pgx.Row) (bool, error) {
	var out bool
	err := row.Scan(&out)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("check opt-out: %w: %w", store.ErrUnavailable, err)
	}
	return out, nil
}

// Validate checks e's enumerations and required fields.
func (e Event) Validate() error {
	var fs derrors.Fields
	if e.Channel != "email" && e.Channel != "sms" {
		fs = append(fs, &derrors.FieldError{Field: "channel", Problem: fmt.Sprintf("%q is not a channel", e.Channel), Fix: "use email or sms"})
	}
	if strings.TrimSpace(e.Address) == "" {
		fs = append(fs, &derrors.FieldError{Field: "address", Problem: "is empty", Fix: "pass the phone number or email address"})
	}
	if e.Action != OptOut && e.Action != OptIn {
		fs = append(fs, &derrors.FieldError{Field: "action", Problem: fmt.Sprintf("%q is not a consent action", e.Action), Fix: "use opt_out or opt_in"})
	}
	valid := false
	for _, s := range sources {
		valid = valid || s == e.Source
	}
	if !valid {
		fs = append(fs, &derrors.FieldError{Field: "source", Problem: fmt.Sprintf("%q is not a consent source", e.Source), Fix: strings.Join(sources, ", ")})
	}
	return fs.Err()
}

// Record stores e and updates the address's current answer. With a non-nil
// tx it runs inside the caller's transaction (so an inbound STOP and its
// reply commit together); otherwise in its own.
func (s *Store) Record(ctx context.Context, tx pgx.Tx, e Event) error {
	if err := e.Validate(); err != nil {
		return err
	}
	if e.Actor == "" {
		e.Actor = "client"
	}
	e.Address = NormalizeAddress(e.Channel, e.Address)
	if tx == nil {
		own, err := s.db.Pool.Begin(ctx)
		if err != nil {
			return fmt.Errorf("record consent: %w: %w", store.ErrUnavailable, err)
		}
		defer own.Rollback(ctx)
		if err := s.record(ctx, own, e, s.clock.Now()); err != nil {
			return err
		}
		return own.Commit(ctx)
	}
	return s.record(ctx, tx, e, s.clock.Now())
}

func (s *Store) record(ctx context.Context, tx pgx.Tx, e Event, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO consent_events (client_id, channel, address, action, source, text, actor, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ClientID, e.Channel, e.Address, e.Action, e.Source, e.Text, e.Actor, now)
	if err != nil {
		return fmt.Errorf("record consent event: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO opt_outs (channel, address, opted_out, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, address) DO UPDATE SET opted_out = EXCLUDED.opted_out, updated_at = EXCLUDED.updated_at`,
		e.Channel, e.Address, e.Action == OptOut, now)
	if err != nil {
		return fmt.Errorf("update opt-out: %w", err)
	}
	return nil
}

// History returns the consent events for an address, oldest first.
func (s *Store) History(ctx context.Context, channel, address string) ([]HistoryEntry, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, client_id, action, source, text, actor, created_at FROM consent_events
		WHERE channel = $1 AND address = $2 ORDER BY created_at, id`, channel, NormalizeAddress(channel, address))
	if err != nil {
		return nil, fmt.Errorf("consent history: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (HistoryEntry, error) {
		var h HistoryEntry
		err := r.Scan(&h.ID, &h.ClientID, &h.Action, &h.Source, &h.Text, &h.Actor, &h.At)
		return h, err
	})
}

// HistoryEntry is one recorded consent event.
type HistoryEntry struct {
	ID       int64
	ClientID *int64
	Action   string
	Source   string
	Text     string
	Actor    string
	At       time.Time
}
