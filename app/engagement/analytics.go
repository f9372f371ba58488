package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// Underperformer thresholds by default (Config overrides them from
// HERALD_UNDERPERFORM_*; AnalyticsOptions per call).
const (
	DefaultMinSends        = 50
	DefaultMinOpenRate     = 0.05
	DefaultMinDeliveryRate = 0.90
)

// AnalyticsOptions choose the period and the underperformer thresholds.
type AnalyticsOptions struct {
	// From and To bound the messages' send time: From <= sent_at < To.
	From, To time.Time
	// MinSends is how many sends a template needs before it can be flagged;
	// MinOpenRate applies to email, MinDeliveryRate to SMS. Zero takes the
	// service's Config (by default 50, 0.05 and 0.90).
	MinSends        int
	MinOpenRate     float64
	MinDeliveryRate float64
}

// TemplateStats is the engagement of one template version on one channel.
// Rates are fractions (0.25 is 25%); delivered-based rates (open, click,
// reply) divide by Delivered, the others by Sent.
type TemplateStats struct {
	TemplateVersionID int64   `json:"template_version_id"`
	TemplateID        int64   `json:"template_id"`
	TemplateKey       string  `json:"template_key"`
	Language          string  `json:"language"`
	Version           int     `json:"version"`
	Channel           string  `json:"channel"`
	Sent              int     `json:"sent"`
	Delivered         int     `json:"delivered"`
	Failed            int     `json:"failed"`
	Opened            int     `json:"opened"`
	Clicked           int     `json:"clicked"`
	Replied           int     `json:"replied"`
	OptedOut          int     `json:"opted_out"`
	DeliveryRate      float64 `json:"delivery_rate"`
	FailureRate       float64 `json:"failure_rate"`
	OpenRate          float64 `json:"open_rate"`
	ClickRate         float64 `json:"click_rate"`
	ReplyRate         float64 `json:"reply_rate"`
	OptOutRate        float64 `json:"opt_out_rate"`
	Underperforming   bool    `json:"underperforming"`
	// Why explains the flag with the numbers, "" when not flagged.
	Why string `json:"why,omitempty"`
}

// messageFlagsSQL reads, for each message sent in [$1, $2) from a template,
// what happened to it (flags f.delivered … f.opted_out). Opened counts human
// opens only (an open event without sg_machine_open, or a status a human
// reached); an opt-out counts for the last message sent to the address
// before it, within 7 days. templateStatsSQL and trendSQL group these flags.
const messageFlagsSQL = `WITH m AS (
	SELECT m.id, m.template_version_id, m.channel, m.recipient, m.status, m.sent_at, m.delivered_at,
	       CASE WHEN m.channel = 'email' THEN lower(btrim(m.recipient)) ELSE btrim(m.recipient) END AS address
	FROM messages m WHERE m.sent_at >= $1 AND m.sent_at < $2 AND m.template_version_id IS NOT NULL
), f AS (
	SELECT m.template_version_id, m.channel, m.sent_at,
	  (m.delivered_at IS NOT NULL OR m.status IN ('delivered', 'opened', 'clicked', 'replied')) AS delivered,
	  (m.status = 'dead') AS failed,
	  (m.status IN ('opened', 'clicked') OR EXISTS (SELECT 1 FROM provider_events e
	      WHERE e.message_id = m.id AND e.event_type = 'open' AND NOT e.machine_open)) AS opened,
	  (m.status = 'clicked' OR EXISTS (SELECT 1 FROM provider_events e WHERE e.message_id = m.id AND e.event_type = 'click')) AS clicked,
	  (m.status = 'replied') AS replied,
	  EXISTS (SELECT 1 FROM consent_events c
	      WHERE c.channel = m.channel AND c.address = m.address AND c.action = 'opt_out'
	        AND c.created_at >= m.sent_at AND c.created_at < m.sent_at + interval '7 days'
	        AND NOT EXISTS (SELECT 1 FROM messages n WHERE n.channel = m.channel AND n.recipient = m.recipient
	                        AND n.sent_at > m.sent_at AND n.sent_at <= c.created_at)) AS opted_out
	FROM m
)
`

// flagCounts are the aggregate columns over f, in the order scanned.
const flagCounts = `count(*), count(*) FILTER (WHERE delivered), count(*) FILTER (WHERE failed),
	count(*) FILTER (WHERE opened), count(*) FILTER (WHERE clicked), count(*) FILTER (WHERE replied),
	count(*) FILTER (WHERE opted_out)`

// templateStatsSQL counts the flags per template version and channel.
const templateStatsSQL = messageFlagsSQL + `SELECT f.template_version_id, mt.id, mt.key, mt.language, tv.version, f.channel, ` + flagCounts + `
FROM f JOIN template_versions tv ON tv.id = f.template_version_id JOIN message_templates mt ON mt.id = tv.template_id
GROUP BY f.template_version_id, mt.id, mt.key, mt.language, tv.version, f.channel
ORDER BY mt.key, mt.language, f.channel, tv.version`

// TemplateAnalytics returns engagement per template version and channel for
// messages sent in the period, and flags underperformers: at least MinSends
// sends and an email open rate under MinOpenRate or an SMS delivery rate
// under MinDeliveryRate.
func (s *Service) TemplateAnalytics(ctx context.Context, o AnalyticsOptions) ([]TemplateStats, error) {
	if o.To.IsZero() {
		o.To = s.d.Clock.Now()
	}
	if o.From.IsZero() {
		o.From = o.To.AddDate(0, 0, -30)
	}
	if !o.From.Before(o.To) {
		return nil, derrors.Invalid("from", "is not before to", "give a period with from < to")
	}
	if o.MinSends <= 0 {
		o.MinSends = s.cfg.MinSends
	}
	if o.MinOpenRate <= 0 {
		o.MinOpenRate = s.cfg.MinOpenRate
	}
	if o.MinDeliveryRate <= 0 {
		o.MinDeliveryRate = s.cfg.MinDeliveryRate
	}
	rows, err := s.d.DB.Pool.Query(ctx, templateStatsSQL, o.From, o.To)
	if err != nil {
		return nil, dbErr("template analytics", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TemplateStats, error) {
		var t TemplateStats
		err := r.Scan(&t.TemplateVersionID, &t.TemplateID, &t.TemplateKey, &t.Language, &t.Version, &t.Channel, &t.Sent,
			&t.Delivered, &t.Failed, &t.Opened, &t.Clicked, &t.Replied, &t.OptedOut)
		return t, err
	})
	if err != nil {
		return nil, dbErr("template analytics", err)
	}
	for i := range out {
		out[i].rate(o)
	}
	return out, nil
}

// rate fills the rates and the underperformer flag.
func (t *TemplateStats) rate(o AnalyticsOptions) {
	t.DeliveryRate, t.FailureRate, t.OptOutRate = frac(t.Delivered, t.Sent), frac(t.Failed, t.Sent), frac(t.OptedOut, t.Sent)
	t.OpenRate, t.ClickRate, t.ReplyRate = frac(t.Opened, t.Delivered), frac(t.Clicked, t.Delivered), frac(t.Replied, t.Delivered)
	if t.Sent < o.MinSends {
		return
	}
	switch {
	case t.Channel == "email" && t.OpenRate < o.MinOpenRate:
		t.Underperforming = true
		t.Why = fmt.Sprintf("%d of %d delivered emails opened (%.1f%%), under %.0f%% over %d sends: rework the subject line and first sentence",
			t.Opened, t.Delivered, 100*t.OpenRate, 100*o.MinOpenRate, t.Sent)
	case t.Channel == "sms" && t.DeliveryRate < o.MinDeliveryRate:
		t.Underperforming = true
		t.Why = fmt.Sprintf("%d of %d SMS delivered (%.1f%%), under %.0f%%: check the wording for carrier filtering and the numbers on file",
			t.Delivered, t.Sent, 100*t.DeliveryRate, 100*o.MinDeliveryRate)
	}
}

func frac(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
