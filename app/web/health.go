package web

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// healthz answers while the process is up.
func healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// readyz answers 200 only when PostgreSQL and Redis both answer.
func readyz(d Deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		checks := fiber.Map{}
		ok := true
		if err := d.DB.Ping(ctx); err != nil {
			checks["postgres"] = err.Error()
			ok = false
		} else {
			checks["postgres"] = "ok"
		}
		if err := d.Redis.Ping(ctx).Err(); err != nil {
			checks["redis"] = err.Error()
			ok = false
		} else {
			checks["redis"] = "ok"
		}
		status := fiber.StatusOK
		if !ok {
			status = fiber.StatusServiceUnavailable
		}
		return c.Status(status).JSON(fiber.Map{"ready": ok, "checks": checks})
	}
}

// gaugeWait bounds how long a scrape waits for the ledger and queue gauges.
const gaugeWait = 2 * time.Second

// metrics samples the ledger and queues, then serves Prometheus text. The
// sampling runs beside the scrape and is waited for at most gaugeWait: the
// asynq inspector takes no context, and with Redis degraded it blocked each
// scrape for the client's read timeout per queue (the chaos suite's toxic
// Redis link left /metrics silent for whole seconds — blind exactly when it
// matters). A slow sample finishes in the background and only one runs at a
// time; the scrape serves the last values.
func metrics(d Deps) fiber.Handler {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{}))
	var sampling atomic.Bool
	return func(c *fiber.Ctx) error {
		if sampling.CompareAndSwap(false, true) {
			done := make(chan struct{})
			go func() {
				defer sampling.Store(false)
				defer close(done)
				ctx, cancel := context.WithTimeout(context.Background(), gaugeWait)
				defer cancel()
				sampleGauges(ctx, d)
			}()
			select {
			case <-done:
			case <-time.After(gaugeWait):
			}
		}
		return h(c)
	}
}

func sampleGauges(ctx context.Context, d Deps) {
	rows, err := d.DB.Pool.Query(ctx, `SELECT status, count(*) FROM messages GROUP BY status`)
	if err == nil {
		d.Metrics.MessagesByState.Reset()
		for rows.Next() {
			var s string
			var n int64
			if rows.Scan(&s, &n) == nil {
				d.Metrics.MessagesByState.WithLabelValues(s).Set(float64(n))
			}
		}
		rows.Close()
	}
	if d.Inspector == nil {
		return
	}
	queues, err := d.Inspector.Queues()
	if err != nil {
		return
	}
	for _, q := range queues {
		info, err := d.Inspector.GetQueueInfo(q)
		if err != nil {
			continue
		}
		d.Metrics.QueueDepth.WithLabelValues(q, "pending").Set(float64(info.Pending))
		d.Metrics.QueueDepth.WithLabelValues(q, "active").Set(float64(info.Active))
		d.Metrics.QueueDepth.WithLabelValues(q, "scheduled").Set(float64(info.Scheduled))
		d.Metrics.QueueDepth.WithLabelValues(q, "retry").Set(float64(info.Retry))
	}
}
