package simulate_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/simulate"
)

const secret = "sim-secret"

var now = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// herald is a stand-in Herald that verifies every signature with ingest's
// real verifier, dedupes on event id and notices out-of-order deliveries.
type herald struct {
	mu         sync.Mutex
	seen       map[string]bool
	lastAt     map[string]time.Time
	badSig     int
	dups       int
	outOfOrder int
	bodies     []string
	digest     [32]byte
	now        func() time.Time
}

func newHerald(t *testing.T) (*herald, *httptest.Server) {
	h := &herald{seen: map[string]bool{}, lastAt: map[string]time.Time{}, now: func() time.Time { return now }}
	srv := httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *herald) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.URL.Path != "/webhooks/cms/generic" {
		http.Error(w, "no route", http.StatusNotFound)
		return
	}
	v := ingest.HMACVerifier{Source: "generic", Secrets: []string{secret}}
	if err := v.Verify(map[string]string{"herald-signature": r.Header.Get("Herald-Signature")}, body, h.now()); err != nil {
		h.badSig++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev struct {
		ID         string    `json:"id"`
		OccurredAt time.Time `json:"occurred_at"`
		Data       struct {
			CaseID string `json:"case_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Data.CaseID == "" {
		http.Error(w, "bad envelope", http.StatusBadRequest)
		return
	}
	h.bodies = append(h.bodies, string(body))
	h.digest = sha256.Sum256(append(h.digest[:], body...))
	if h.seen[ev.ID] {
		h.dups++
		w.WriteHeader(http.StatusOK)
		return
	}
	h.seen[ev.ID] = true
	if last, ok := h.lastAt[ev.Data.CaseID]; ok && ev.OccurredAt.Before(last) {
		h.outOfOrder++
	} else {
		h.lastAt[ev.Data.CaseID] = ev.OccurredAt
	}
	w.WriteHeader(http.StatusAccepted)
}

func opts(url string, seed int64) simulate.Options {
	return simulate.Options{URL: url, Source: "generic", Secret: secret, Rate: 5000, Events: 80, Cases: 6, Seed: seed,
		Duplicates: 0.15, OutOfOrder: 0.15, Now: ticking()}
}

// ticking is a fake clock that moves 100ms per reading, so successive
// events are ordered in time without real sleeps.
func ticking() func() time.Time {
	t := now
	return func() time.Time {
		t = t.Add(100 * time.Millisecond)
		return t
	}
}

func TestRunSignsDedupesAndReorders(t *testing.T) {
	h, srv := newHerald(t)
	var progress bytes.Buffer
	o := opts(srv.URL, 7)
	o.Progress = &progress
	st, err := simulate.Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if h.badSig != 0 {
		t.Errorf("%d requests failed signature verification", h.badSig)
	}
	if st.Sent != 80 || st.Accepted+st.Duplicate != 80 || st.Errors != 0 {
		t.Errorf("stats %+v: want 80 sent, all accepted or duplicate", st)
	}
	if st.Resent == 0 || st.Reordered == 0 {
		t.Fatalf("resent %d reordered %d: want both > 0 with 15%% chances over 80 events", st.Resent, st.Reordered)
	}
	if h.dups != st.Resent || st.Duplicate != st.Resent {
		t.Errorf("server saw %d duplicates, simulator counted %d (resent %d); want equal", h.dups, st.Duplicate, st.Resent)
	}
	if h.outOfOrder != st.Reordered {
		t.Errorf("server saw %d out-of-order deliveries, simulator reordered %d", h.outOfOrder, st.Reordered)
	}
	if last := strings.TrimSpace(progress.String()); !strings.Contains(last, "sent=80") || !strings.Contains(last, "errors=0") {
		t.Errorf("final progress line = %q", last)
	}
}

func TestRunIsDeterministicPerSeed(t *testing.T) {
	digest := func(seed int64) [32]byte {
		h, srv := newHerald(t)
		if _, err := simulate.Run(context.Background(), opts(srv.URL, seed)); err != nil {
			t.Fatal(err)
		}
		return h.digest
	}
	if a, b := digest(3), digest(3); a != b {
		t.Error("same seed produced different requests")
	}
	if a, b := digest(3), digest(4); a == b {
		t.Error("different seeds produced identical requests")
	}
}

func TestGeneratedDataIsMessy(t *testing.T) {
	h, srv := newHerald(t)
	o := opts(srv.URL, 11)
	o.Events, o.Cases = 400, 40
	if _, err := simulate.Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	all := strings.Join(h.bodies, "\n")
	for _, want := range []string{"settlement offer rec'd", "(cell)", "gmial.com", "previous_attributes", "/"} {
		if !strings.Contains(strings.ToLower(all), strings.ToLower(want)) {
			t.Errorf("no generated body contains %q", want)
		}
	}
	formats := 0
	for _, re := range []string{`"next_court_date":"20`, `"next_court_date":"0`, `"next_court_date":"1`, `"next_court_date":"J`} {
		if strings.Contains(all, re) {
			formats++
		}
	}
	if formats < 3 {
		t.Errorf("court dates use %d distinct format families, want at least 3", formats)
	}
}

func TestRunStopsOnDurationAndCancel(t *testing.T) {
	_, srv := newHerald(t)
	o := opts(srv.URL, 1)
	o.Events, o.Rate, o.Duration = 0, 50, 100*time.Millisecond
	st, err := simulate.Run(context.Background(), o)
	if err != nil || st.Sent == 0 || st.Sent > 20 {
		t.Errorf("duration-bounded run: sent %d, err %v; want a handful", st.Sent, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o.Duration = 0
	if st, _ := simulate.Run(ctx, o); st.Sent != 0 {
		t.Errorf("cancelled run sent %d", st.Sent)
	}
}

func TestRunReportsTotalFailure(t *testing.T) {
	_, srv := newHerald(t)
	o := opts(srv.URL, 1)
	o.Secret, o.Events = "wrong", 3
	st, err := simulate.Run(context.Background(), o)
	if err == nil || st.Errors != 3 || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong secret: stats %+v err %v; want 3 errors and a 401 in the error", st, err)
	}
}

func TestMainCommand(t *testing.T) {
	h, srv := newHerald(t)
	h.now = time.Now // the command stamps signatures with the real clock
	getenv := func(k string) string {
		if k == "HERALD_WEBHOOK_SECRET_GENERIC" {
			return secret + ",older-secret"
		}
		return ""
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"help", []string{"--help"}, 0, "Usage: herald simulate"},
		{"bad rate", []string{"--url", srv.URL, "--rate", "fast"}, 2, "--rate"},
		{"missing url", []string{"--events", "1"}, 2, "--url"},
		{"signs with the env secret", []string{"--url", srv.URL, "--events", "3", "--rate", "1000/s"}, 0, "sent=3 accepted=3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := simulate.Main(context.Background(), tt.args, getenv, &stderr)
			want := tt.wantCode
			if code != want || !strings.Contains(stderr.String(), tt.wantOut) {
				t.Errorf("code %d, stderr %q; want %d containing %q", code, stderr.String(), want, tt.wantOut)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{{"2/s", 2, false}, {"120/m", 2, false}, {"5", 5, false}, {"0/s", 0, true}, {"3/d", 0, true}}
	for _, tt := range tests {
		got, err := simulate.ParseRate(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}
