package portal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/portal"
)

func TestConversationKeepsTheNewestTexts(t *testing.T) {
	db, exec := newDB(t)
	ctx := context.Background()
	var clientID int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO clients (source, external_id, first_name, last_name, mobile_phone)
		VALUES ('generic', 'c1', 'Ana', 'Garcia', '+13125550111') RETURNING id`).Scan(&clientID); err != nil {
		t.Fatal(err)
	}
	// 150 texts in (the newest 3 unread) and 100 out, alternating minutes,
	// plus email that is not part of the conversation.
	exec(`INSERT INTO inbound_messages (provider, provider_message_id, client_id, channel, from_address, body, unread, created_at)
		SELECT 'twilio', 'SM' || g, $1, 'sms', '+13125550111', 'in ' || g, g > 147, $2::timestamptz + g * interval '2 minutes'
		FROM generate_series(1, 150) g`, clientID, now.Add(-24*time.Hour))
	exec(`INSERT INTO messages (idempotency_key, kind, client_id, channel, recipient, body_text, status, created_at)
		SELECT 'out-' || g, 'rule', $1, 'sms', '+13125550111', 'out ' || g, 'delivered', $2::timestamptz + (2 * g + 1) * interval '1 minute'
		FROM generate_series(1, 100) g`, clientID, now.Add(-24*time.Hour))
	exec(`INSERT INTO messages (idempotency_key, client_id, channel, recipient, body_text, status, created_at)
		SELECT 'mail-' || g, $1, 'email', 'ana@example.com', 'mail', 'sent', $2 FROM generate_series(1, 5) g`, clientID, now)
	r := portal.New(db, clock.NewFake(now), time.UTC)
	c, err := r.Conversation(ctx, clientID)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Texts) != portal.ConversationSize || !c.Older {
		t.Fatalf("texts = %d, older %v; want %d and older ones flagged", len(c.Texts), c.Older, portal.ConversationSize)
	}
	for i := 1; i < len(c.Texts); i++ {
		if c.Texts[i].At.Before(c.Texts[i-1].At) {
			t.Fatalf("text %d (%v) is older than text %d (%v): want oldest first", i, c.Texts[i].At, i-1, c.Texts[i-1].At)
		}
	}
	if last := c.Texts[len(c.Texts)-1]; !last.Inbound || last.Body != "in 150" || !last.Unread {
		t.Errorf("newest text = %+v, want the client's 150th, unread", last)
	}
	in, out := 0, 0
	for _, x := range c.Texts {
		if x.Inbound {
			in++
		} else {
			out++
			if x.Status != "delivered" || x.Kind != "rule" {
				t.Errorf("outbound text %+v", x)
			}
		}
	}
	// The newest 200 of 250: 50 texts in after the last one out (minutes
	// 202-300), then 75 each way alternating.
	if in != 125 || out != 75 || c.Unread != 3 {
		t.Errorf("in %d, out %d, unread %d; want 125, 75, 3", in, out, c.Unread)
	}
	if _, err := r.Conversation(ctx, 999999); !errors.Is(err, portal.ErrClientNotFound) {
		t.Errorf("unknown client: %v", err)
	}
}
