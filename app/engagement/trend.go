package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
)

// Trend bucket sizes.
const (
	BucketDay  = "day"
	BucketWeek = "week" // weeks start on Monday
)

// MaxTrendBuckets bounds how many buckets one trend covers (about 13 months
// of days), so a period typed by hand cannot ask for an unreadable chart.
const MaxTrendBuckets = 400

// TrendOptions choose the period, the bucket size and the time zone whose
// days and weeks the buckets follow (the firm's; UTC when nil).
type TrendOptions struct {
	From, To time.Time
	Bucket   string
	Zone     *time.Location
}

// TrendPoint is what happened to the messages a template sent in one bucket.
type TrendPoint struct {
	Start     time.Time `json:"start"`
	Sent      int       `json:"sent"`
	Delivered int       `json:"delivered"`
	Failed    int       `json:"failed"`
	Opened    int       `json:"opened"`
	Clicked   int       `json:"clicked"`
	Replied   int       `json:"replied"`
	OptedOut  int       `json:"opted_out"`
}

// DeliveryRate is delivered/sent, 0 for an empty bucket.
func (p TrendPoint) DeliveryRate() float64 { return frac(p.Delivered, p.Sent) }

// OpenRate is human opens/delivered, as TemplateStats.OpenRate.
func (p TrendPoint) OpenRate() float64 { return frac(p.Opened, p.Delivered) }

// ClickRate is clicks/delivered.
func (p TrendPoint) ClickRate() float64 { return frac(p.Clicked, p.Delivered) }

// ReplyRate is replies/delivered.
func (p TrendPoint) ReplyRate() float64 { return frac(p.Replied, p.Delivered) }

// TemplateTrend is one template (all its versions) on one channel over the
// period, one point per bucket, empty buckets included (Sent 0), oldest
// first.
type TemplateTrend struct {
	TemplateID  int64        `json:"template_id"`
	TemplateKey string       `json:"template_key"`
	Language    string       `json:"language"`
	Channel     string       `json:"channel"`
	Points      []TrendPoint `json:"points"`
}

// trendSQL counts the flags per template, channel and bucket; $3 is the
// bucket (day or week), $4 the zone whose calendar the buckets follow.
const trendSQL = messageFlagsSQL + `SELECT mt.id, mt.key, mt.language, f.channel,
	date_trunc($3::text, f.sent_at AT TIME ZONE $4::text) AS bucket, ` + flagCounts + `
FROM f JOIN template_versions tv ON tv.id = f.template_version_id JOIN message_templates mt ON mt.id = tv.template_id
GROUP BY 1, 2, 3, 4, 5
ORDER BY mt.key, mt.language, f.channel, mt.id, bucket`

// TemplateTrends returns, per template and channel, the counts of
// TemplateAnalytics bucketed by day or week of the sending time, for the
// rate-over-time charts. Only templates that sent something in the period
// appear.
func (s *Service) TemplateTrends(ctx context.Context, o TrendOptions) ([]TemplateTrend, error) {
	if o.Zone == nil {
		o.Zone = time.UTC
	}
	if o.To.IsZero() {
		o.To = s.d.Clock.Now()
	}
	if o.From.IsZero() {
		o.From = o.To.AddDate(0, 0, -30)
	}
	starts, err := bucketStarts(o)
	if err != nil {
		return nil, err
	}
	rows, err := s.d.DB.Pool.Query(ctx, trendSQL, o.From, o.To, o.Bucket, o.Zone.String())
	if err != nil {
		return nil, dbErr("template trends", err)
	}
	type row struct {
		t     TemplateTrend
		local time.Time
		p     TrendPoint
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		err := r.Scan(&x.t.TemplateID, &x.t.TemplateKey, &x.t.Language, &x.t.Channel, &x.local,
			&x.p.Sent, &x.p.Delivered, &x.p.Failed, &x.p.Opened, &x.p.Clicked, &x.p.Replied, &x.p.OptedOut)
		return x, err
	})
	if err != nil {
		return nil, dbErr("template trends", err)
	}
	index := make(map[time.Time]int, len(starts))
	for i, st := range starts {
		index[st] = i
	}
	var out []TemplateTrend
	for _, x := range got {
		n := len(out)
		if n == 0 || out[n-1].TemplateID != x.t.TemplateID || out[n-1].Channel != x.t.Channel {
			x.t.Points = make([]TrendPoint, len(starts))
			for i, st := range starts {
				x.t.Points[i].Start = st
			}
			out = append(out, x.t)
			n++
		}
		// The database truncated the local wall time; read it back in the zone.
		l := x.local
		st := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, o.Zone)
		i, ok := index[st]
		if !ok {
			return nil, fmt.Errorf("engagement: template trends: bucket %s is outside the period", st)
		}
		x.p.Start = st
		out[n-1].Points[i] = x.p
	}
	return out, nil
}

// bucketStarts validates o and lists the start of every bucket that
// overlaps [From, To), in o.Zone.
func bucketStarts(o TrendOptions) ([]time.Time, error) {
	if o.Bucket != BucketDay && o.Bucket != BucketWeek {
		return nil, derrors.Invalid("bucket", fmt.Sprintf("%q is not a bucket size", o.Bucket), "use day or week")
	}
	if !o.From.Before(o.To) {
		return nil, derrors.Invalid("from", "is not before to", "give a period with from < to")
	}
	f := o.From.In(o.Zone)
	st := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, o.Zone)
	step := 1
	if o.Bucket == BucketWeek {
		st = st.AddDate(0, 0, -((int(st.Weekday()) + 6) % 7)) // back to Monday
		step = 7
	}
	var out []time.Time
	for ; st.Before(o.To); st = st.AddDate(0, 0, step) {
		if len(out) == MaxTrendBuckets {
			return nil, derrors.Invalid("from", fmt.Sprintf("the period has more than %d %ss", MaxTrendBuckets, o.Bucket),
				"choose a shorter period or weekly buckets")
		}
		out = append(out, st)
	}
	return out, nil
}
