package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/telemetry"
	"github.com/heraldhq/herald/config"
)

// stuckIngest is a CMSIngest whose Accept blocks until release is closed or
// the request's context ends, as a store over a partitioned database would.
type stuckIngest struct {
	release     chan struct{}
	entered     chan struct{}
	deadlines   atomic.Int64 // Accept calls whose context had a deadline
	calls       atomic.Int64
	maxDeadline time.Duration
}

func (s *stuckIngest) Accept(ctx context.Context, _ string, _ map[string]string, _ []byte) (ingest.Result, error) {
	s.calls.Add(1)
	if d, ok := ctx.Deadline(); ok {
		s.deadlines.Add(1)
		if left := time.Until(d); left > s.maxDeadline {
			return ingest.Result{}, fmt.Errorf("deadline %s away, want at most %s", left, s.maxDeadline)
		}
	}
	s.entered <- struct{}{}
	select {
	case <-s.release:
		return ingest.Result{EventID: 1}, nil
	case <-ctx.Done():
		return ingest.Result{}, fmt.Errorf("%w: store inbound event: %w", derrors.Unavailable, ctx.Err())
	}
}

// serveShed serves the real routes with svc behind a listener and returns
// the webhook URL.
func serveShed(t *testing.T, svc CMSIngest, limit int, deadline time.Duration) string {
	t.Helper()
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	app := New(Deps{Config: cfg, Log: slog.New(slog.DiscardHandler), Metrics: telemetry.NewMetrics(),
		Services: Services{CMSIngest: svc}})
	app.Post("/shed/:source", shedLoad(limit, deadline), webhookCMS(svc))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return "http://" + ln.Addr().String() + "/shed/generic"
}

func postShed(url string) (int, string, string, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(`{"id":"e1"}`))
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Retry-After"), string(b), nil
}

// TestShedLoadRefusesBeyondTheLimit fills every slot with a stuck store and
// checks the next webhook is refused at once with 503 and Retry-After, never
// 2xx, and that a freed slot admits again.
func TestShedLoadRefusesBeyondTheLimit(t *testing.T) {
	const limit = 4
	svc := &stuckIngest{release: make(chan struct{}), entered: make(chan struct{}, limit+1), maxDeadline: time.Minute}
	url := serveShed(t, svc, limit, time.Minute)

	var wg sync.WaitGroup
	codes := make(chan int, limit)
	for range limit {
		wg.Go(func() {
			code, _, _, err := postShed(url)
			if err != nil {
				t.Error(err)
			}
			codes <- code
		})
	}
	for range limit {
		select {
		case <-svc.entered:
		case <-time.After(5 * time.Second):
			t.Fatalf("only some of %d webhooks reached the store", limit)
		}
	}
	start := time.Now()
	code, retryAfter, body, err := postShed(url)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || retryAfter == "" {
		t.Fatalf("webhook beyond the limit: got %d Retry-After %q, want 503 with Retry-After", code, retryAfter)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refusal took %s; it must not wait for a slot", took)
	}
	var eb errorBody
	if err := json.Unmarshal([]byte(body), &eb); err != nil || !strings.Contains(eb.Error, "shedding load") {
		t.Errorf("refusal body = %s, want an error naming the load shedding", body)
	}
	if got := svc.calls.Load(); got != limit {
		t.Errorf("store called %d times, want %d (the refused webhook must not reach it)", got, limit)
	}

	close(svc.release)
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != http.StatusAccepted {
			t.Errorf("admitted webhook answered %d, want 202", c)
		}
	}
	if code, _, body, err := postShed(url); err != nil || code != http.StatusAccepted {
		t.Errorf("after the slots freed: got %d %s %v, want 202", code, body, err)
	}
	// The real CMS route is behind the same middleware.
	real := strings.Replace(url, "/shed/", "/webhooks/cms/", 1)
	if code, _, body, err := postShed(real); err != nil || code != http.StatusAccepted {
		t.Errorf("POST /webhooks/cms/generic: got %d %s %v, want 202", code, body, err)
	}
	if got := svc.deadlines.Load(); got != svc.calls.Load() {
		t.Errorf("%d of %d store calls had a deadline; every one must", got, svc.calls.Load())
	}
}

// TestShedLoadDeadlineAnswers503 checks a store that never finishes is cut
// off at the deadline with 503, not left hanging or answered 2xx.
func TestShedLoadDeadlineAnswers503(t *testing.T) {
	svc := &stuckIngest{release: make(chan struct{}), entered: make(chan struct{}, 1), maxDeadline: 300 * time.Millisecond}
	url := serveShed(t, svc, 2, 300*time.Millisecond)
	start := time.Now()
	code, retryAfter, body, err := postShed(url)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusServiceUnavailable || retryAfter == "" {
		t.Fatalf("stuck store: got %d Retry-After %q (%s), want 503 with Retry-After", code, retryAfter, body)
	}
	if took := time.Since(start); took < 250*time.Millisecond || took > 5*time.Second {
		t.Errorf("stuck store answered after %s, want about the 300ms deadline", took)
	}
	if !strings.Contains(body, "deadline") {
		t.Errorf("body = %s, want the deadline named", body)
	}
}
