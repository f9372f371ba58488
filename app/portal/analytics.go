package portal

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/app/engagement"
)

// PeriodPresets are the numbers of days the analytics form offers.
var PeriodPresets = []int{7, 30, 90}

const (
	defaultPeriodDays = 30
	maxPeriodDays     = 731
	// dailyUpTo is the longest period charted per day; longer ones per week.
	dailyUpTo = 31
)

// PeriodQuery is the analytics form as typed: a preset number of days, or
// from and to dates (YYYY-MM-DD, both days included), and an optional
// bucket size (day or week).
type PeriodQuery struct {
	Days, From, To, Bucket string
}

// Period is a validated analytics period in the firm's time zone.
type Period struct {
	// From and To bound the sending time: From <= sent_at < To (To is the
	// midnight after the last day).
	From, To time.Time
	// Days is the preset chosen, 0 for from/to dates.
	Days int
	// FromDate and ToDate are the first and last day, as the form shows them.
	FromDate, ToDate string
	Bucket           string
}

// ParsePeriod reads the analytics form at now in loc: no input is the last
// 30 days (today included); days must be a preset; from and to are dates,
// to defaulting to today. The bucket defaults to day for up to 31 days and
// week beyond.
func ParsePeriod(q PeriodQuery, now time.Time, loc *time.Location) (Period, error) {
	if loc == nil {
		loc = time.UTC
	}
	today := now.In(loc)
	tomorrow := time.Date(today.Year(), today.Month(), today.Day()+1, 0, 0, 0, 0, loc)
	var p Period
	from, to := strings.TrimSpace(q.From), strings.TrimSpace(q.To)
	switch {
	case from != "" || to != "":
		p.To = tomorrow
		if to != "" {
			d, err := time.ParseInLocation(time.DateOnly, to, loc)
			if err != nil {
				return p, invalid("to", fmt.Sprintf("%q is not a date", to), "use YYYY-MM-DD, e.g. 2026-03-02")
			}
			p.To = d.AddDate(0, 0, 1)
		}
		if from == "" {
			return p, invalid("from", "is empty", "give the first day of the period, or pick 7, 30 or 90 days")
		}
		d, err := time.ParseInLocation(time.DateOnly, from, loc)
		if err != nil {
			return p, invalid("from", fmt.Sprintf("%q is not a date", from), "use YYYY-MM-DD, e.g. 2026-02-01")
		}
		p.From = d
		if !p.From.Before(p.To) {
			return p, invalid("from", fmt.Sprintf("%s is after to (%s)", from, p.To.AddDate(0, 0, -1).Format(time.DateOnly)),
				"give a first day on or before the last day")
		}
		if days := int(math.Round(p.To.Sub(p.From).Hours() / 24)); days > maxPeriodDays {
			return p, invalid("from", fmt.Sprintf("the period is %d days long", days), fmt.Sprintf("choose at most %d days", maxPeriodDays))
		}
	default:
		p.Days = defaultPeriodDays
		if raw := strings.TrimSpace(q.Days); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || !slices.Contains(PeriodPresets, n) {
				return p, invalid("days", fmt.Sprintf("%q is not one of the presets", raw), "use 7, 30 or 90, or pick from and to dates")
			}
			p.Days = n
		}
		p.To = tomorrow
		p.From = tomorrow.AddDate(0, 0, -p.Days)
	}
	p.FromDate, p.ToDate = p.From.Format(time.DateOnly), p.To.AddDate(0, 0, -1).Format(time.DateOnly)
	switch b := strings.TrimSpace(q.Bucket); b {
	case "":
		p.Bucket = engagement.BucketDay
		if p.To.Sub(p.From) > dailyUpTo*24*time.Hour+time.Hour { // an hour of slack for a DST change
			p.Bucket = engagement.BucketWeek
		}
	case engagement.BucketDay, engagement.BucketWeek:
		p.Bucket = b
	default:
		return p, invalid("bucket", fmt.Sprintf("%q is not a bucket size", b), "use day or week")
	}
	return p, nil
}

// Analytics is the analytics screen: the table of engagement per template
// version and channel, underperformers first, and one rate chart per
// template and channel.
type Analytics struct {
	Period Period
	// Thresholds are the underperformer thresholds in force
	// (engagement.Service.Thresholds), to explain the flag.
	Thresholds engagement.AnalyticsOptions
	Rows       []engagement.TemplateStats
	Flagged    int
	Charts     []RateChart
}

// RateChart is one template on one channel: its rates per bucket.
type RateChart struct {
	Key        string // unique within the page, for element ids
	TemplateID int64
	Title      string
	Channel    string
	Flagged    bool
	Buckets    []ChartBucket
	Series     []ChartSeries
}

// ChartBucket is one x position of a chart.
type ChartBucket struct {
	Start time.Time
	Label string
	Sent  int
}

// ChartSeries is one rate over the buckets; a nil value is a bucket with
// nothing to divide by (no sends, or no deliveries for delivered-based
// rates), drawn without a dot.
type ChartSeries struct {
	Name   string
	Values []*float64
}

// Points counts the values the series draws.
func (s ChartSeries) Points() int {
	n := 0
	for _, v := range s.Values {
		if v != nil {
			n++
		}
	}
	return n
}

// NewAnalytics shapes engagement's numbers for the screen: underperformers
// first (in engagement's order otherwise), and charts for the templates with
// an underperforming version first. Zero thresholds show the defaults.
func NewAnalytics(p Period, th engagement.AnalyticsOptions, stats []engagement.TemplateStats, trends []engagement.TemplateTrend) Analytics {
	if th.MinSends <= 0 {
		th.MinSends = engagement.DefaultMinSends
	}
	if th.MinOpenRate <= 0 {
		th.MinOpenRate = engagement.DefaultMinOpenRate
	}
	if th.MinDeliveryRate <= 0 {
		th.MinDeliveryRate = engagement.DefaultMinDeliveryRate
	}
	a := Analytics{Period: p, Thresholds: th, Rows: slices.Clone(stats)}
	slices.SortStableFunc(a.Rows, func(x, y engagement.TemplateStats) int {
		switch {
		case x.Underperforming == y.Underperforming:
			return 0
		case x.Underperforming:
			return -1
		}
		return 1
	})
	flagged := map[string]bool{}
	for _, s := range a.Rows {
		if s.Underperforming {
			a.Flagged++
			flagged[fmt.Sprintf("%d/%s", s.TemplateID, s.Channel)] = true
		}
	}
	for _, t := range trends {
		c := RateChart{Key: fmt.Sprintf("%d-%s", t.TemplateID, t.Channel), TemplateID: t.TemplateID, Channel: t.Channel,
			Title:   fmt.Sprintf("%s · %s · %s", t.TemplateKey, t.Language, t.Channel),
			Flagged: flagged[fmt.Sprintf("%d/%s", t.TemplateID, t.Channel)]}
		label := "Jan 2"
		if p.Bucket == engagement.BucketWeek {
			label = "week of Jan 2"
		}
		for _, pt := range t.Points {
			c.Buckets = append(c.Buckets, ChartBucket{Start: pt.Start, Label: pt.Start.Format(label), Sent: pt.Sent})
		}
		c.Series = append(c.Series, series("Delivery rate", t.Points, func(pt engagement.TrendPoint) (float64, bool) {
			return pt.DeliveryRate(), pt.Sent > 0
		}))
		if t.Channel == "email" {
			c.Series = append(c.Series, series("Open rate", t.Points, func(pt engagement.TrendPoint) (float64, bool) {
				return pt.OpenRate(), pt.Delivered > 0
			}), series("Click rate", t.Points, func(pt engagement.TrendPoint) (float64, bool) {
				return pt.ClickRate(), pt.Delivered > 0
			}))
		} else {
			c.Series = append(c.Series, series("Reply rate", t.Points, func(pt engagement.TrendPoint) (float64, bool) {
				return pt.ReplyRate(), pt.Delivered > 0
			}))
		}
		a.Charts = append(a.Charts, c)
	}
	slices.SortStableFunc(a.Charts, func(x, y RateChart) int {
		switch {
		case x.Flagged == y.Flagged:
			return 0
		case x.Flagged:
			return -1
		}
		return 1
	})
	return a
}

func series(name string, pts []engagement.TrendPoint, rate func(engagement.TrendPoint) (float64, bool)) ChartSeries {
	s := ChartSeries{Name: name, Values: make([]*float64, len(pts))}
	for i, pt := range pts {
		if v, ok := rate(pt); ok {
			s.Values[i] = &v
		}
	}
	return s
}

// Underperformers maps a template id to why one of its versions is flagged
// (the template list's badge); templates without a flag are absent.
func Underperformers(stats []engagement.TemplateStats) map[int64]string {
	out := map[int64]string{}
	for _, s := range stats {
		if s.Underperforming {
			why := fmt.Sprintf("v%d %s: %s", s.Version, s.Channel, s.Why)
			if prev, ok := out[s.TemplateID]; ok {
				why = prev + "; " + why
			}
			out[s.TemplateID] = why
		}
	}
	return out
}
