package chaos

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// ledger is what the checker found for a set of acknowledged events.
//
//	lost = expected − delivered − dead − unknown
//
// where expected is acknowledged events × messages per event, delivered is
// messages the fake providers accepted at least once, dead is messages in the
// dead-letter inbox that never reached a provider, and unknown is messages
// Herald surfaced as outcome_unknown that never reached a provider (handed to
// a human, not silently dropped). Scenarios other than the worker kill
// require unknown == 0.
type ledger struct {
	Acked       int // events the client got 2xx for
	MissingRows int // acknowledged events with no inbound_events row
	Unprocessed int // acknowledged events not yet processed
	Expected    int
	Messages    int // messages planned from acknowledged events
	Delivered   int
	Dead        int
	Unknown     int // outcome_unknown, never reached a provider
	// UnknownSent is outcome_unknown messages the provider did accept: the
	// "extra send" risk, surfaced for a human instead of re-sent.
	UnknownSent int
	InFlight    int // pending, scheduled, sending, failed_retrying, held
	// DeadSent is dead messages the provider accepted anyway (counted as
	// delivered); Cancelled is messages cancelled instead of sent (counted
	// as lost: no scenario opts out or pauses).
	DeadSent  int
	Cancelled int
	// Phantom is messages the ledger calls sent that no provider accepted.
	Phantom    int
	Duplicates int // provider sends beyond the first per message
	Sends      int // provider sends in total (any event)
	Lost       int
}

func (l ledger) String() string {
	return fmt.Sprintf("acked=%d rows_missing=%d unprocessed=%d expected=%d messages=%d delivered=%d dead=%d unknown=%d "+
		"unknown_but_sent=%d dead_but_sent=%d cancelled=%d in_flight=%d phantom=%d duplicates=%d provider_sends=%d lost=%d",
		l.Acked, l.MissingRows, l.Unprocessed, l.Expected, l.Messages, l.Delivered, l.Dead, l.Unknown, l.UnknownSent,
		l.DeadSent, l.Cancelled, l.InFlight, l.Phantom, l.Duplicates, l.Sends, l.Lost)
}

// settled reports whether nothing is left to happen.
func (l ledger) settled() bool {
	return l.InFlight == 0 && l.Unprocessed == 0 && l.Messages >= l.Expected
}

// check reads the ledger for acked (each expecting perEvent messages) and
// the fakes' sends.
func (s *stack) check(ctx context.Context, acked []string, perEvent int) (ledger, error) {
	l := ledger{Acked: len(acked), Expected: len(acked) * perEvent}
	sends := map[int64]int{}
	for _, x := range s.sendgrid.Sends() {
		sends[x.HeraldMessageID]++
		l.Sends++
	}
	for _, x := range s.twilio.Sends() {
		sends[x.HeraldMessageID]++
		l.Sends++
	}
	for _, n := range sends {
		if n > 1 {
			l.Duplicates += n - 1
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT a.id, ev.status, m.id, m.status
		FROM unnest($1::text[]) AS a(id)
		LEFT JOIN inbound_events ev ON ev.source = 'generic' AND ev.event_id = a.id
		LEFT JOIN messages m ON m.inbound_event_id = ev.id`, acked)
	if err != nil {
		return l, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var evStatus, mStatus *string
		var mid *int64
		if err := rows.Scan(&id, &evStatus, &mid, &mStatus); err != nil {
			return l, err
		}
		if evStatus == nil {
			l.MissingRows++
			continue
		}
		if mid == nil {
			if *evStatus != "processed" {
				l.Unprocessed++
			}
			continue
		}
		l.Messages++
		at := sends[*mid] > 0
		switch st := *mStatus; st {
		case "sent", "delivered", "opened", "clicked", "replied":
			if at {
				l.Delivered++
			} else {
				l.Phantom++
			}
		case "outcome_unknown":
			if at {
				l.Delivered++
				l.UnknownSent++
			} else {
				l.Unknown++
			}
		case "dead":
			if at {
				l.Delivered++
				l.DeadSent++
			} else {
				l.Dead++
			}
		case "cancelled":
			l.Cancelled++
		default: // pending, scheduled, sending, failed_retrying, held, awaiting_approval
			l.InFlight++
		}
	}
	if err := rows.Err(); err != nil {
		return l, err
	}
	l.Lost = l.Expected - l.Delivered - l.Dead - l.Unknown - l.InFlight
	return l, nil
}

// settle waits up to timeout for the ledger of acked to settle and returns
// it with how long that took.
func (s *stack) settle(t *testing.T, acked []string, perEvent int, timeout time.Duration) (ledger, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout+10*time.Second)
	defer cancel()
	var l ledger
	var lastErr error
	took, ok := waitUntil(ctx, timeout, 100*time.Millisecond, func() bool {
		l, lastErr = s.check(ctx, acked, perEvent)
		return lastErr == nil && l.settled()
	})
	if lastErr != nil {
		t.Fatalf("read the ledger: %v", lastErr)
	}
	if !ok {
		t.Errorf("ledger not settled after %s: %s\n%s", timeout, l, s.unsettled(ctx))
	}
	return l, took
}

// requireBalanced asserts lost = 0, no duplicates, no phantom sends, every
// acknowledged event stored, and at most maxUnknown outcome_unknown.
func requireBalanced(t *testing.T, l ledger, maxUnknown int) {
	t.Helper()
	if l.Acked == 0 {
		t.Fatalf("no event was acknowledged; the scenario proved nothing: %s", l)
	}
	if l.MissingRows != 0 {
		t.Errorf("%d acknowledged events are not in inbound_events (acknowledged before commit): %s", l.MissingRows, l)
	}
	if l.Lost != 0 {
		t.Errorf("lost = acknowledged − delivered − dead = %d, want 0: %s", l.Lost, l)
	}
	if l.Duplicates != 0 {
		t.Errorf("%d duplicate sends at the providers, want 0: %s", l.Duplicates, l)
	}
	if l.Phantom != 0 {
		t.Errorf("%d messages marked sent that no provider accepted: %s", l.Phantom, l)
	}
	if l.Unknown+l.UnknownSent > maxUnknown {
		t.Errorf("%d messages outcome_unknown, want at most %d: %s", l.Unknown+l.UnknownSent, maxUnknown, l)
	}
}

// unsettled describes the rows still moving, for a failure message.
func (s *stack) unsettled(ctx context.Context) string {
	var b strings.Builder
	rows, err := s.pool.Query(ctx, `SELECT 'event', id, status, attempts, coalesce(claimed_until::text, ''), error
		FROM inbound_events WHERE status <> 'processed'
		UNION ALL
		SELECT 'message', id, status, attempts, coalesce(claimed_until::text, ''), last_error
		FROM messages WHERE status IN ('pending', 'scheduled', 'sending', 'failed_retrying', 'held', 'awaiting_approval')
		ORDER BY 1, 2 LIMIT 20`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	for rows.Next() {
		var kind, status, claimed, lastErr string
		var id int64
		var attempts int
		if err := rows.Scan(&kind, &id, &status, &attempts, &claimed, &lastErr); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "  %s %d: %s, %d attempts, claimed until %q, last error %q\n", kind, id, status, attempts, claimed, lastErr)
	}
	return b.String()
}
