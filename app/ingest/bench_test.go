package ingest_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/ingest"
)

// BenchmarkIngest measures signed webhooks through Accept into a real
// PostgreSQL: signature check, JSON envelope, committed insert and wake-up
// (to an in-memory Enqueuer, so Redis is not measured). It reports events/s.
func BenchmarkIngest(b *testing.B) {
	e := newEnv(b, ingest.Options{})
	ctx := context.Background()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := event(fmt.Sprintf("evt_%d", n), "2026-03-01T15:59:00Z", fmt.Sprintf("C-%d", n%500),
				map[string]any{"status": "Discovery Initiated", "client_email": "jane@example.com", "client_mobile_phone": "(312) 867-5309"})
			res, err := e.svc.Accept(ctx, "generic", e.signed(body), body)
			if err != nil || res.Duplicate {
				b.Fatalf("Accept = %+v, %v", res, err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
