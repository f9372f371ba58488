package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/delivery/providertest"
)

// TestProviderFaults is scenario 7, against the fake SendGrid with
// HERALD_RETRY_SCHEDULE=1s,2s,3s:
//
//   - 429 with Retry-After: 3 and then a 500: the retry waits for the
//     Retry-After (3s, not the schedule's 1s), the next one the schedule's
//     2s, and the third attempt is accepted — sent once;
//   - 500 on every attempt: after the schedule's last retry the message is
//     dead (4 attempts, none accepted), and the dead-letter retry sends it
//     exactly once;
//   - a timeout (the provider reads the request and never answers): the
//     outcome is unknown, so Herald does not retry it on the schedule — it
//     becomes outcome_unknown, is handed to a human, and the dead-letter
//     retry sends it exactly once.
func TestProviderFaults(t *testing.T) {
	s := newStack(t, stackOpts{})
	h := s.start("run", nil, "--concurrency", "4")
	w := newWebhooks(h.url)
	token := s.apiToken(t, "ops")
	ctx := context.Background()

	post := func(id string, n int64) int64 {
		t.Helper()
		if !w.postUntilAcked(ctx, id, eventBody(id, "fault-C"+fmt.Sprint(n), statusDiscovery, n)) {
			t.Fatalf("event %s not acknowledged", id)
		}
		var mid int64
		if _, ok := waitUntil(ctx, 10*time.Second, 50*time.Millisecond, func() bool {
			return s.pool.QueryRow(ctx, `SELECT m.id FROM messages m JOIN inbound_events ev ON ev.id = m.inbound_event_id
				WHERE ev.event_id = $1`, id).Scan(&mid) == nil
		}); !ok {
			t.Fatalf("event %s planned no message within 10s", id)
		}
		return mid
	}
	waitStatus := func(mid int64, want string, within time.Duration) {
		t.Helper()
		var st string
		if _, ok := waitUntil(ctx, within, 50*time.Millisecond, func() bool {
			return s.pool.QueryRow(ctx, `SELECT status FROM messages WHERE id = $1`, mid).Scan(&st) == nil && st == want
		}); !ok {
			t.Fatalf("message %d is %s after %s, want %s:\n%s", mid, st, within, want, s.attemptsOf(ctx, mid))
		}
	}

	// 1. 429 with Retry-After, then 500, then accepted.
	s.sendgrid.Enqueue(providertest.SendGridRateLimited(3*time.Second, time.Now()),
		providertest.SendGridError(http.StatusInternalServerError, "internal error", ""))
	m1 := post("fault-1", 1)
	waitStatus(m1, "sent", 30*time.Second)
	at := s.attemptStarts(ctx, t, m1)
	if len(at) != 3 {
		t.Fatalf("message %d: %d attempts, want 3 (429, 500, accepted):\n%s", m1, len(at), s.attemptsOf(ctx, m1))
	}
	gap1, gap2 := at[1].Sub(at[0]), at[2].Sub(at[1])
	if gap1 < 3*time.Second || gap1 > 3*time.Second+3*time.Second {
		t.Errorf("retry after the 429 came %s later; want the Retry-After's 3s (schedule says 1s), within sweep slack", gap1)
	}
	if gap2 < 2*time.Second || gap2 > 2*time.Second+3*time.Second {
		t.Errorf("retry after the 500 came %s later; want the schedule's 2s", gap2)
	}

	// 2. 500 on every attempt: dead after the last retry, then a
	// dead-letter retry sends it once.
	s.sendgrid.SetDefault(providertest.SendGridError(http.StatusInternalServerError, "internal error", ""))
	m2 := post("fault-2", 2)
	waitStatus(m2, "dead", 30*time.Second)
	at2 := s.attemptStarts(ctx, t, m2)
	if len(at2) != 4 {
		t.Errorf("dead message %d had %d attempts, want 4 (first + the schedule's 3 retries):\n%s", m2, len(at2), s.attemptsOf(ctx, m2))
	}
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 3 * time.Second} {
		if i+1 < len(at2) {
			if gap := at2[i+1].Sub(at2[i]); gap < want || gap > want+3*time.Second {
				t.Errorf("retry %d of message %d came %s after the previous attempt, want the schedule's %s", i+1, m2, gap, want)
			}
		}
	}
	if n := s.sendsOf(m2); n != 0 {
		t.Errorf("message %d was accepted %d times before the retry; every attempt got 500", m2, n)
	}
	s.sendgrid.SetDefault(providertest.Step{})
	s.retryDeadLetter(t, h.url, token, m2)
	waitStatus(m2, "sent", 15*time.Second)

	// 3. Timeout after the request reached the provider: outcome unknown,
	// not retried on the schedule, handed to a human, sent once on retry.
	s.sendgrid.Enqueue(providertest.Step{Behavior: providertest.Hang})
	m3 := post("fault-3", 3)
	waitStatus(m3, "outcome_unknown", 30*time.Second)
	var handed bool
	if _, ok := waitUntil(ctx, 15*time.Second, 100*time.Millisecond, func() bool {
		return s.pool.QueryRow(ctx, `SELECT reconciled_at IS NOT NULL FROM messages WHERE id = $1`, m3).Scan(&handed) == nil && handed
	}); !ok {
		t.Errorf("outcome_unknown message %d was not handed to a human within HERALD_RECONCILE_GRACE", m3)
	}
	if n := len(s.attemptStarts(ctx, t, m3)); n != 1 {
		t.Errorf("timed-out message %d had %d attempts; an unknown outcome must not be retried blindly", m3, n)
	}
	s.retryDeadLetter(t, h.url, token, m3)
	waitStatus(m3, "sent", 15*time.Second)

	// Ledger over all three: each sent exactly once.
	for _, m := range []int64{m1, m2, m3} {
		if n := s.sendsOf(m); n != 1 {
			t.Errorf("message %d accepted %d times by the provider, want exactly 1", m, n)
		}
	}
	led, _ := s.settle(t, w.ackedIDs(), 1, 10*time.Second)
	requireBalanced(t, led, 0)
	st := s.sendgrid.Stats()
	t.Logf("scenario 7: 429(Retry-After 3s)→500→sent with gaps %s, %s; all-500 dead after attempts at %v then sent once on dead-letter retry; "+
		"timeout → outcome_unknown (1 attempt, handed to a human) then sent once on retry; provider saw %d requests, %d accepted, %d rejected, %d hung; %s",
		gap1.Round(time.Millisecond), gap2.Round(time.Millisecond), gaps(at2), st.Requests, st.Accepted, st.Rejected, st.Hung, led)
}

// apiToken creates a JSON API token with role.
func (s *stack) apiToken(t *testing.T, role string) string {
	t.Helper()
	out, err := runOnce(s.env, "token", "create", "--name", "chaos-"+role, "--role", role)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// retryDeadLetter retries message id through POST /api/v1/dead-letters/:id/retry.
func (s *stack) retryDeadLetter(t *testing.T, base, token string, id int64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/dead-letters/%d/retry", base, id), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dead-letter retry of message %d: %d %s", id, resp.StatusCode, body)
	}
	var m struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(body, &m)
}

// attemptStarts returns when each delivery attempt of message id started.
func (s *stack) attemptStarts(ctx context.Context, t *testing.T, id int64) []time.Time {
	t.Helper()
	rows, err := s.pool.Query(ctx, `SELECT started_at FROM delivery_attempts WHERE message_id = $1 ORDER BY attempt`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var at time.Time
		if err := rows.Scan(&at); err != nil {
			t.Fatal(err)
		}
		out = append(out, at)
	}
	return out
}

// attemptsOf describes message id's attempts, for failure messages.
func (s *stack) attemptsOf(ctx context.Context, id int64) string {
	rows, err := s.pool.Query(ctx, `SELECT attempt, started_at, outcome, coalesce(http_status, 0), error_message
		FROM delivery_attempts WHERE message_id = $1 ORDER BY attempt`, id)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var n, status int
		var at time.Time
		var outcome, msg string
		if err := rows.Scan(&n, &at, &outcome, &status, &msg); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "  attempt %d at %s: %s (HTTP %d) %s\n", n, at.Format("15:04:05.000"), outcome, status, msg)
	}
	return b.String()
}

// sendsOf counts the fakes' accepted sends of message id.
func (s *stack) sendsOf(id int64) int {
	n := 0
	for _, x := range s.sendgrid.Sends() {
		if x.HeraldMessageID == id {
			n++
		}
	}
	for _, x := range s.twilio.Sends() {
		if x.HeraldMessageID == id {
			n++
		}
	}
	return n
}

func gaps(at []time.Time) []string {
	var out []string
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]).Round(time.Millisecond).String())
	}
	return out
}
