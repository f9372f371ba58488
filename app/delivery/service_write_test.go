package delivery

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRetryWriteOutlastsAShortOutage checks a ledger write keeps trying
// through a database outage of a few seconds (here: 2.5s of failures) instead
// of giving up after a few quick tries, and stops at its window.
func TestRetryWriteOutlastsAShortOutage(t *testing.T) {
	down := errors.New("connect: connection refused")
	start := time.Now()
	calls := 0
	ok, err := retryWrite(context.Background(), 10*time.Second, func(context.Context) (bool, error) {
		calls++
		if time.Since(start) < 2500*time.Millisecond {
			return false, down
		}
		return true, nil
	})
	if err != nil || !ok {
		t.Fatalf("write through a 2.5s outage: got ok=%v err=%v after %d calls, want ok", ok, err, calls)
	}
	if calls < 4 {
		t.Errorf("%d calls; want retries with backoff through the outage", calls)
	}

	start = time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a cancelled task context must not cut the write short
	_, err = retryWrite(ctx, 700*time.Millisecond, func(context.Context) (bool, error) { return false, down })
	if !errors.Is(err, down) {
		t.Errorf("write that never succeeds: got %v, want the last error", err)
	}
	if took := time.Since(start); took < 600*time.Millisecond || took > 3*time.Second {
		t.Errorf("gave up after %s, want about the 700ms window", took)
	}
}
