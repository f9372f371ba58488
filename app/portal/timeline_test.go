package portal_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
)

// now is the fake time the read model tests run at.
var now = time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)

// newDB returns a migrated database with the generic source and a function
// that runs fixture SQL on it.
func newDB(t *testing.T) (*store.DB, func(q string, args ...any)) {
	t.Helper()
	db, _ := storetest.NewDB(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Pool.Exec(context.Background(), q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`)
	return db, exec
}

// TestTimelinePagesWalkEveryEntryOnce pages through a timeline whose
// entries share instants across kinds: every entry appears exactly once,
// newest first, and the export (All) lists them all in one go, across the
// ledger's 1000-a-section batches.
func TestTimelinePagesWalkEveryEntryOnce(t *testing.T) {
	db, exec := newDB(t)
	ctx := context.Background()
	var clientID, caseID int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO clients (source, external_id, first_name, last_name, mobile_phone)
		VALUES ('generic', 'c1', 'Ana', 'Garcia', '+13125550111') RETURNING id`).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	if err := db.Pool.QueryRow(ctx, `INSERT INTO cases (source, external_id, client_id, case_number, snapshot)
		VALUES ('generic', 'k1', $1, 'N-1', '{}') RETURNING id`, clientID).Scan(&caseID); err != nil {
		t.Fatal(err)
	}
	// Three instants; at each, events, decisions, messages and replies.
	exec(`INSERT INTO inbound_events (source, event_id, body, case_id, status, received_at)
		SELECT 'generic', 'e' || g, '{}', $1, 'processed', $2::timestamptz - (g % 3) * interval '1 minute' FROM generate_series(1, 20) g`, caseID, now)
	exec(`INSERT INTO rule_decisions (case_id, client_id, rule_key, trigger, result, created_at)
		SELECT $1, $2, 'r' || g, 'status_transition', 'fired', $3::timestamptz - (g % 3) * interval '1 minute' FROM generate_series(1, 25) g`, caseID, clientID, now)
	exec(`INSERT INTO messages (idempotency_key, case_id, client_id, channel, recipient, status, created_at)
		SELECT 'k' || g, $1, $2, 'sms', '+13125550111', 'delivered', $3::timestamptz - (g % 3) * interval '1 minute' FROM generate_series(1, 40) g`, caseID, clientID, now)
	exec(`INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel, from_address, body, created_at)
		SELECT 'twilio', 'in' || g, $2, $1, 'sms', '+13125550111', 'ok ' || g, $3::timestamptz - (g % 3) * interval '1 minute' FROM generate_series(1, 17) g`, caseID, clientID, now)
	const total = 20 + 25 + 40 + 17
	r := portal.New(db, clock.NewFake(now), time.UTC)

	seen := map[string]bool{}
	var last time.Time
	f := portal.TimelineFilter{}
	pages := 0
	for ; pages < 10; pages++ {
		tl, err := r.Timeline(ctx, clientID, f)
		if err != nil {
			t.Fatal(err)
		}
		if tl.Next != "" && len(tl.Entries) != portal.TimelinePageSize {
			t.Errorf("page %d has %d entries and a next page, want %d", pages, len(tl.Entries), portal.TimelinePageSize)
		}
		for _, e := range tl.Entries {
			key := fmt.Sprintf("%s %s %s", e.Kind, e.Title, e.Detail)
			if e.Message != nil {
				key = fmt.Sprintf("message %d", e.Message.ID)
			}
			if seen[key] {
				t.Errorf("page %d repeats %s", pages, key)
			}
			seen[key] = true
			if !last.IsZero() && e.At.After(last) {
				t.Errorf("page %d: %s at %v comes after an older entry (%v)", pages, key, e.At, last)
			}
			last = e.At
		}
		if tl.Next == "" {
			break
		}
		f.After = tl.Next
	}
	if len(seen) != total || pages != 2 {
		t.Errorf("walked %d distinct entries in %d pages, want %d in 3", len(seen), pages+1, total)
	}

	exec(`INSERT INTO messages (idempotency_key, case_id, client_id, channel, recipient, status, created_at)
		SELECT 'bulk' || g, $1, $2, 'email', 'ana@example.com', 'sent', $3::timestamptz - g * interval '1 second' FROM generate_series(1, 2100) g`, caseID, clientID, now)
	all, err := r.Timeline(ctx, clientID, portal.TimelineFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Entries) != total+2100 || all.Next != "" {
		t.Errorf("export lists %d entries (next %q), want all %d", len(all.Entries), all.Next, total+2100)
	}
	email, err := r.Timeline(ctx, clientID, portal.TimelineFilter{Channel: "email", All: true})
	if err != nil || len(email.Entries) != 2100+25 { // the email messages and the decisions about every channel
		t.Errorf("email export = %d entries, %v; want %d", len(email.Entries), err, 2100+25)
	}

	if _, err := r.Timeline(ctx, clientID, portal.TimelineFilter{After: "yesterday"}); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("a malformed cursor: err = %v, want an invalid argument", err)
	}
	if _, err := r.Timeline(ctx, clientID, portal.TimelineFilter{Status: "lost"}); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("an unknown status: err = %v, want an invalid argument", err)
	}
	if _, err := r.Timeline(ctx, clientID+999, portal.TimelineFilter{}); !errors.Is(err, portal.ErrClientNotFound) {
		t.Errorf("unknown client: err = %v, want ErrClientNotFound", err)
	}
}
