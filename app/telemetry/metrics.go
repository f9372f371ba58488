package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds Herald's Prometheus collectors on a private registry.
type Metrics struct {
	Registry        *prometheus.Registry
	HTTPDuration    *prometheus.HistogramVec
	EventsIngested  *prometheus.CounterVec
	MessagesSent    *prometheus.CounterVec
	QueueDepth      *prometheus.GaugeVec
	MessagesByState *prometheus.GaugeVec
}

// NewMetrics registers every collector.
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "herald_http_request_duration_seconds",
			Help:    "HTTP request latency by route and status class.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route", "code"}),
		EventsIngested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_inbound_events_total",
			Help: "CMS webhook requests by source and result (accepted, duplicate, rejected: 4xx, unavailable: 5xx).",
		}, []string{"source", "result"}),
		MessagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_delivery_attempts_total",
			Help: "Delivery attempts by channel and outcome.",
		}, []string{"channel", "outcome"}),
		QueueDepth: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_queue_depth",
			Help: "asynq tasks by queue and state, sampled at scrape time.",
		}, []string{"queue", "state"}),
		MessagesByState: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "herald_messages",
			Help: "Ledger messages by status, sampled at scrape time.",
		}, []string{"status"}),
	}
	r.MustRegister(m.HTTPDuration, m.EventsIngested, m.MessagesSent, m.QueueDepth, m.MessagesByState,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
