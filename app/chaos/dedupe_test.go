package chaos

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestSameEventFiftyTimesAtOnce is scenario 8: one event posted 50 times
// concurrently must leave one inbound row, one 202 (the rest 200
// duplicate), and one message per recipient and channel (the settlement
// rule sends an SMS and an email), each sent once.
func TestSameEventFiftyTimesAtOnce(t *testing.T) {
	s := newStack(t, stackOpts{})
	h := s.start("run", nil, "--concurrency", "8")
	w := newWebhooks(h.url)
	const id, posts = "dup-1", 50
	body := eventBody(id, "dup-C1", statusSettlement, 1)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range posts {
		wg.Go(func() {
			<-start
			w.post(context.Background(), id, body)
		})
	}
	close(start)
	wg.Wait()
	codes := w.codes(time.Time{}, time.Time{})
	if codes[202] != 1 || codes[200] != posts-1 {
		t.Errorf("answers %v, want exactly one 202 and %d × 200 duplicate", codes, posts-1)
	}
	led, took := s.settle(t, []string{id}, 2, 30*time.Second)
	requireBalanced(t, led, 0)

	ctx := context.Background()
	var rows int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM inbound_events WHERE event_id = $1`, id).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d inbound_events rows for one event posted %d times, want 1", rows, posts)
	}
	type key struct{ channel, recipient string }
	got := map[key]int{}
	r, err := s.pool.Query(ctx, `SELECT channel, recipient FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var k key
		if err := r.Scan(&k.channel, &k.recipient); err != nil {
			t.Fatal(err)
		}
		got[k]++
	}
	if len(got) != 2 {
		t.Errorf("messages by channel and recipient: %v, want one SMS and one email", got)
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%d messages to %s by %s, want 1", n, k.recipient, k.channel)
		}
	}
	if sg, tw := len(s.sendgrid.Sends()), len(s.twilio.Sends()); sg != 1 || tw != 1 {
		t.Errorf("provider sends: %d emails and %d SMS, want 1 and 1", sg, tw)
	}
	t.Logf("scenario 8: %d concurrent posts answered %v; %d row; messages %v; settled in %s; %s",
		posts, codes, rows, got, took.Round(time.Millisecond), led)
}
