package writeback_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clio"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/writeback"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

const secret = "whsec-test"

// receiver is a firm's write-back endpoint: it verifies the signature with
// the same verifier Herald uses for CMS webhooks and answers from a script.
type receiver struct {
	mu      sync.Mutex
	script  []int // status per attempt of each record; the last one repeats
	got     []writeback.Record
	keys    []string
	badSigs int
	clk     *clock.Fake
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	body, _ := io.ReadAll(req.Body)
	v := ingest.HMACVerifier{Source: "herald", Secrets: []string{secret}}
	if err := v.Verify(map[string]string{"herald-signature": req.Header.Get("Herald-Signature")}, body, r.clk.Now()); err != nil {
		r.badSigs++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var rec writeback.Record
	if err := json.Unmarshal(body, &rec); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	seen := 0
	for _, k := range r.keys {
		if k == key {
			seen++
		}
	}
	status := r.script[min(seen, len(r.script)-1)]
	r.keys = append(r.keys, key)
	if status == http.StatusOK {
		r.got = append(r.got, rec)
	}
	w.WriteHeader(status)
}

type fixture struct {
	db       *store.DB
	clk      *clock.Fake
	generic  int64 // case from a webhook source
	clioCase int64 // case from a Clio source, matter 1001
	msg      int64 // sent SMS on the generic case
	clioMsg  int64 // sent email on the Clio case
	reply    int64 // inbound reply on the generic case
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, _ := storetest.NewDB(t)
	f := &fixture{db: db, clk: clock.NewFake(t0)}
	ctx := context.Background()
	q := func(sql string, args ...any) int64 {
		t.Helper()
		var id int64
		if err := db.Pool.QueryRow(ctx, sql, args...).Scan(&id); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return id
	}
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('generic', 'webhook'), ('clio', 'clio')`); err != nil {
		t.Fatal(err)
	}
	cl := q(`INSERT INTO clients (source, external_id, mobile_phone, email) VALUES ('generic', 'cl-1', '+13125550134', 'ana@example.com') RETURNING id`)
	f.generic = q(`INSERT INTO cases (source, external_id, client_id, case_number, snapshot) VALUES ('generic', 'M-1', $1, 'PI-1', '{}') RETURNING id`, cl)
	f.clioCase = q(`INSERT INTO cases (source, external_id, client_id, snapshot) VALUES ('clio', '1001', $1, '{}') RETURNING id`, cl)
	f.msg = q(`INSERT INTO messages (idempotency_key, channel, recipient, body_text, status, sent_at, case_id, client_id)
		VALUES ('k1', 'sms', '+13125550134', 'Your offer arrived.', 'delivered', $1, $2, $3) RETURNING id`, t0.Add(-time.Hour), f.generic, cl)
	f.clioMsg = q(`INSERT INTO messages (idempotency_key, channel, recipient, subject, body_text, status, sent_at, case_id, client_id)
		VALUES ('k2', 'email', 'ana@example.com', 'Court tomorrow', 'See you there.', 'sent', $1, $2, $3) RETURNING id`, t0.Add(-time.Hour), f.clioCase, cl)
	q(`INSERT INTO messages (idempotency_key, channel, recipient, body_text, status, case_id) VALUES ('k3', 'sms', '+13125550134', 'never sent', 'pending', $1) RETURNING id`, f.generic)
	f.reply = q(`INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel, from_address, body, created_at)
		VALUES ('twilio', 'SM1', $1, $2, 'sms', '+13125550134', 'Thank you!', $3) RETURNING id`, cl, f.generic, t0.Add(-time.Minute))
	return f
}

func (f *fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWebhookWriteBackWithRetries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rcv := &receiver{script: []int{503, 503, 200}, clk: f.clk}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	svc, err := writeback.New(writeback.Deps{DB: f.db, Clock: f.clk}, writeback.Config{WebhookURL: srv.URL, WebhookSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	n, err := svc.Collect(ctx)
	if err != nil || n != 3 {
		t.Fatalf("Collect = %d, %v; want 3 (two sent messages, one reply; Clio not configured)", n, err)
	}
	if n, _ := svc.Collect(ctx); n != 0 {
		t.Errorf("second Collect = %d, want 0", n)
	}
	// Each record is answered 503, 503, then 200: three pushes on the
	// retry schedule (1m, then 5m).
	steps := []struct {
		advance  time.Duration
		wantDone int
	}{{0, 0}, {time.Minute, 0}, {5 * time.Minute, 3}, {time.Hour, 0}}
	for i, s := range steps {
		f.clk.Advance(s.advance)
		done, err := svc.Push(ctx)
		if err != nil || done != s.wantDone {
			t.Errorf("push %d: %d done, %v; want %d", i, done, err, s.wantDone)
		}
	}
	if rcv.badSigs != 0 {
		t.Errorf("%d requests failed signature verification", rcv.badSigs)
	}
	if got := f.count(t, `SELECT count(*) FROM writeback_outbox WHERE status = 'done'`); got != 3 {
		t.Errorf("done rows = %d, want 3", got)
	}
	if len(rcv.got) != 3 {
		t.Fatalf("receiver accepted %d records, want 3", len(rcv.got))
	}
	byID := map[string]writeback.Record{}
	for _, r := range rcv.got {
		byID[r.ID] = r
	}
	m := byID["msg:"+strconv.FormatInt(f.msg, 10)]
	if m.Type != "message.sent" || m.Body != "Your offer arrived." || m.Case == nil || m.Case.ExternalID != "M-1" || m.Direction != "outbound" {
		t.Errorf("message record = %+v", m)
	}
	r := byID["in:"+strconv.FormatInt(f.reply, 10)]
	if r.Type != "client.reply" || r.Body != "Thank you!" || r.Direction != "inbound" {
		t.Errorf("reply record = %+v", r)
	}
	if len(rcv.keys) != 9 || rcv.keys[0] != rcv.keys[3] || rcv.keys[3] != rcv.keys[6] {
		t.Errorf("requests by idempotency key = %v, want each record's key three times", rcv.keys)
	}
}

func TestWebhookPermanentFailureIsVisible(t *testing.T) {
	tests := []struct {
		name         string
		script       []int
		schedule     []time.Duration
		wantAttempts int
	}{
		{"410 fails at once", []int{410}, nil, 1},
		{"500 until the schedule runs out", []int{500}, []time.Duration{time.Minute}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.db.Pool.Exec(ctx, `DELETE FROM inbound_messages`)
			f.db.Pool.Exec(ctx, `DELETE FROM messages WHERE id <> $1`, f.msg)
			rcv := &receiver{script: tt.script, clk: f.clk}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			svc, err := writeback.New(writeback.Deps{DB: f.db, Clock: f.clk},
				writeback.Config{WebhookURL: srv.URL, WebhookSecret: secret, Schedule: tt.schedule})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Collect(ctx); err != nil {
				t.Fatal(err)
			}
			for range 4 {
				if _, err := svc.Push(ctx); err != nil {
					t.Fatal(err)
				}
				f.clk.Advance(time.Hour)
			}
			fails, err := svc.Failures(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(fails) != 1 || fails[0].Attempts != tt.wantAttempts || !strings.Contains(fails[0].LastError, strconv.Itoa(tt.script[0])) {
				t.Fatalf("failures = %+v, want one after %d attempts naming %d", fails, tt.wantAttempts, tt.script[0])
			}
			if got := f.count(t, `SELECT count(*) FROM staff_tasks WHERE title = 'Could not record a client message in the CMS' AND case_id = $1 AND message_id = $2`, f.generic, f.msg); got != 1 {
				t.Errorf("staff tasks = %d, want 1", got)
			}
			if r, err := svc.Retry(ctx, fails[0].ID, "token:ops"); err != nil || r.Status != writeback.StatusPending || r.Attempts != 0 {
				t.Errorf("Retry = %+v, %v; want the row pending with a fresh schedule", r, err)
			}
			if got := f.count(t, `SELECT count(*) FROM writeback_outbox WHERE status = 'pending' AND attempts = 0`); got != 1 {
				t.Errorf("after Retry: %d pending rows, want 1", got)
			}
			if got := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'writeback.retry' AND actor = 'token:ops' AND target_id = $1`,
				strconv.FormatInt(fails[0].ID, 10)); got != 1 {
				t.Errorf("writeback.retry audit rows = %d, want 1", got)
			}
			// A second retry of the now-pending row is refused, naming its status.
			if _, err := svc.Retry(ctx, fails[0].ID, "token:ops"); !errors.Is(err, derrors.Conflict) || !strings.Contains(err.Error(), "is pending") {
				t.Errorf("second Retry: %v, want a conflict naming the status", err)
			}
			if _, err := svc.Retry(ctx, 999999, "token:ops"); !errors.Is(err, derrors.NotFound) {
				t.Errorf("Retry of an unknown row: %v, want not found", err)
			}
		})
	}
}

// fakeClio is a Clio Manage API v4 notes endpoint.
type fakeClio struct {
	mu      sync.Mutex
	token   string
	notes   []map[string]any
	loseOne bool // the first create is stored but answered 502
	creates int
	finds   int
}

func (c *fakeClio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+c.token {
		http.Error(w, `{"error":{"type":"AuthenticationError"}}`, http.StatusUnauthorized)
		return
	}
	if r.URL.Path != "/api/v4/notes.json" {
		http.NotFound(w, r)
		return
	}
	switch r.Method {
	case http.MethodGet:
		c.finds++
		var data []map[string]any
		for _, n := range c.notes {
			if strconv.FormatInt(n["matter_id"].(int64), 10) == r.URL.Query().Get("matter_id") &&
				strings.Contains(n["detail"].(string), r.URL.Query().Get("query")) {
				data = append(data, map[string]any{"id": n["id"], "detail": n["detail"]})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"data": data})
	case http.MethodPost:
		c.creates++
		var in struct {
			Data struct {
				Type   string `json:"type"`
				Matter struct {
					ID int64 `json:"id"`
				} `json:"matter"`
				Subject string `json:"subject"`
				Detail  string `json:"detail"`
				Date    string `json:"date"`
			} `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Data.Type != "Matter" || in.Data.Matter.ID == 0 {
			http.Error(w, `{"error":{"message":"invalid"}}`, http.StatusUnprocessableEntity)
			return
		}
		id := int64(5000 + len(c.notes))
		c.notes = append(c.notes, map[string]any{"id": id, "matter_id": in.Data.Matter.ID, "subject": in.Data.Subject,
			"detail": in.Data.Detail, "date": in.Data.Date})
		if c.loseOne {
			c.loseOne = false
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"id": id}})
	}
}

func TestClioWriteBackIsIdempotent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fake := &fakeClio{token: "clio-token", loseOne: true}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	rcv := &receiver{script: []int{200}, clk: f.clk}
	hook := httptest.NewServer(rcv)
	defer hook.Close()
	cc, err := clio.New(clio.Config{BaseURL: srv.URL, AccessToken: "clio-token", Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := writeback.New(writeback.Deps{DB: f.db, Clock: f.clk, Clio: cc}, writeback.Config{WebhookURL: hook.URL, WebhookSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Collect(ctx); err != nil || n != 3 {
		t.Fatalf("Collect = %d, %v; want 3", n, err)
	}
	if got := f.count(t, `SELECT count(*) FROM writeback_outbox WHERE target = 'clio' AND message_id = $1`, f.clioMsg); got != 1 {
		t.Fatalf("the Clio case's message is not routed to Clio")
	}
	// First push: Clio stores the note but the answer is lost (502).
	if _, err := svc.Push(ctx); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Minute)
	if _, err := svc.Push(ctx); err != nil {
		t.Fatal(err)
	}
	if len(fake.notes) != 1 || fake.creates != 1 || fake.finds != 1 {
		t.Fatalf("clio notes %d, creates %d, finds %d; want one note, found on retry, not created twice", len(fake.notes), fake.creates, fake.finds)
	}
	n := fake.notes[0]
	if n["matter_id"].(int64) != 1001 || n["subject"] != "Herald emailed the client: Court tomorrow" ||
		!strings.Contains(n["detail"].(string), "See you there.") || n["date"] != "2026-03-02" {
		t.Errorf("note = %+v", n)
	}
	var remote, status string
	if err := f.db.Pool.QueryRow(ctx, `SELECT remote_id, status FROM writeback_outbox WHERE message_id = $1`, f.clioMsg).Scan(&remote, &status); err != nil {
		t.Fatal(err)
	}
	if status != "done" || remote != "5000" {
		t.Errorf("outbox row %s remote %q, want done 5000", status, remote)
	}
	if len(rcv.got) != 2 {
		t.Errorf("webhook got %d records for the generic case, want 2", len(rcv.got))
	}
}

// TestClioReplyWriteBackRetriesOnce covers the other half of the client
// file: a client's reply on a Clio case becomes a note on the matter; a
// create whose answer is lost is found by its marker on the retry, so the
// note exists once, and a later Collect does not queue it again.
func TestClioReplyWriteBackRetriesOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.db.Pool.Exec(ctx, `DELETE FROM inbound_messages`)
	f.db.Pool.Exec(ctx, `DELETE FROM messages`)
	var cl, reply int64
	if err := f.db.Pool.QueryRow(ctx, `SELECT client_id FROM cases WHERE id = $1`, f.clioCase).Scan(&cl); err != nil {
		t.Fatal(err)
	}
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO inbound_messages (provider, provider_message_id, client_id, case_id, channel, from_address, body, intent, created_at)
		VALUES ('twilio', 'SMclio', $1, $2, 'sms', '+13125550134', 'Can we move the meeting?', 'reply', $3) RETURNING id`,
		cl, f.clioCase, t0.Add(-time.Minute)).Scan(&reply); err != nil {
		t.Fatal(err)
	}
	fake := &fakeClio{token: "clio-token", loseOne: true}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	cc, err := clio.New(clio.Config{BaseURL: srv.URL, AccessToken: "clio-token", Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := writeback.New(writeback.Deps{DB: f.db, Clock: f.clk, Clio: cc}, writeback.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Collect(ctx); err != nil || n != 1 {
		t.Fatalf("Collect = %d, %v; want the reply", n, err)
	}
	for i := range 3 {
		if _, err := svc.Push(ctx); err != nil {
			t.Fatalf("push %d: %v", i, err)
		}
		f.clk.Advance(time.Minute)
	}
	if len(fake.notes) != 1 || fake.creates != 1 {
		t.Fatalf("Clio notes %d after %d creates, want one note: the retry must find the lost one", len(fake.notes), fake.creates)
	}
	n := fake.notes[0]
	if n["matter_id"].(int64) != 1001 || n["subject"] != "The client replied by text" ||
		!strings.Contains(n["detail"].(string), "Can we move the meeting?") ||
		!strings.Contains(n["detail"].(string), "[herald in:"+strconv.FormatInt(reply, 10)+"]") {
		t.Errorf("note = %+v, want the reply on matter 1001 with its marker", n)
	}
	if got := f.count(t, `SELECT count(*) FROM writeback_outbox WHERE inbound_id = $1 AND status = 'done' AND remote_id = '5000'`, reply); got != 1 {
		t.Errorf("done outbox rows for the reply = %d, want 1", got)
	}
	if n, err := svc.Collect(ctx); err != nil || n != 0 {
		t.Errorf("second Collect = %d, %v; want 0", n, err)
	}
}
