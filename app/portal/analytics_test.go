package portal_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/portal"
)

func TestParsePeriod(t *testing.T) {
	chicago, _ := time.LoadLocation("America/Chicago")
	// now is 10:00 on Monday 2 March in Chicago.
	tests := []struct {
		q                portal.PeriodQuery
		from, to, bucket string // first day, last day
		days             int
		wantErr          string // field named in the error
	}{
		{q: portal.PeriodQuery{}, from: "2026-02-01", to: "2026-03-02", bucket: "day", days: 30},
		{q: portal.PeriodQuery{Days: "7"}, from: "2026-02-24", to: "2026-03-02", bucket: "day", days: 7},
		{q: portal.PeriodQuery{Days: "90"}, from: "2025-12-03", to: "2026-03-02", bucket: "week", days: 90},
		{q: portal.PeriodQuery{Days: "90", Bucket: "day"}, from: "2025-12-03", to: "2026-03-02", bucket: "day", days: 90},
		{q: portal.PeriodQuery{From: "2026-02-27", To: "2026-02-27"}, from: "2026-02-27", to: "2026-02-27", bucket: "day"},
		{q: portal.PeriodQuery{From: "2026-01-01"}, from: "2026-01-01", to: "2026-03-02", bucket: "week"},
		{q: portal.PeriodQuery{From: "2026-02-01", To: "2026-03-03"}, from: "2026-02-01", to: "2026-03-03", bucket: "day"},
		{q: portal.PeriodQuery{Days: "14"}, wantErr: "days"},
		{q: portal.PeriodQuery{Days: "seven"}, wantErr: "days"},
		{q: portal.PeriodQuery{To: "2026-03-01"}, wantErr: "from"},
		{q: portal.PeriodQuery{From: "03/01/2026"}, wantErr: "from"},
		{q: portal.PeriodQuery{From: "2026-02-01", To: "2026-02-31"}, wantErr: "to"},
		{q: portal.PeriodQuery{From: "2026-03-02", To: "2026-03-01"}, wantErr: "from"},
		{q: portal.PeriodQuery{From: "2023-01-01"}, wantErr: "from"},
		{q: portal.PeriodQuery{Bucket: "hour"}, wantErr: "bucket"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.q), func(t *testing.T) {
			p, err := portal.ParsePeriod(tt.q, now, chicago)
			if tt.wantErr != "" {
				var fe *derrors.FieldError
				if !errors.As(err, &fe) || fe.Field != tt.wantErr || fe.Fix == "" {
					t.Fatalf("err = %v, want a field error on %s with a fix", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.FromDate != tt.from || p.ToDate != tt.to || p.Bucket != tt.bucket || p.Days != tt.days {
				t.Errorf("period = %s..%s per %s (%d days), want %s..%s per %s (%d)", p.FromDate, p.ToDate, p.Bucket, p.Days,
					tt.from, tt.to, tt.bucket, tt.days)
			}
			if p.From.Location() != chicago || p.From.Hour() != 0 || p.To.Hour() != 0 || p.To.Format(time.DateOnly) <= tt.to {
				t.Errorf("bounds %v – %v, want midnights in Chicago with To after the last day", p.From, p.To)
			}
		})
	}
}

func TestNewAnalyticsPutsUnderperformersFirst(t *testing.T) {
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	stats := []engagement.TemplateStats{
		{TemplateID: 1, TemplateKey: "a", Channel: "email", Version: 1, Sent: 60},
		{TemplateID: 2, TemplateKey: "b", Channel: "sms", Version: 1, Sent: 60, Underperforming: true, Why: "52 of 60 SMS delivered"},
		{TemplateID: 3, TemplateKey: "c", Channel: "email", Version: 2, Sent: 60, Underperforming: true, Why: "1 of 60 opened"},
		{TemplateID: 3, TemplateKey: "c", Channel: "email", Version: 1, Sent: 5},
	}
	trends := []engagement.TemplateTrend{
		{TemplateID: 1, TemplateKey: "a", Language: "en", Channel: "email", Points: []engagement.TrendPoint{{Start: day, Sent: 2, Delivered: 2, Opened: 1}}},
		{TemplateID: 2, TemplateKey: "b", Language: "en", Channel: "sms", Points: []engagement.TrendPoint{{Start: day}, {Start: day.AddDate(0, 0, 1), Sent: 4, Delivered: 3}}},
		{TemplateID: 3, TemplateKey: "c", Language: "es", Channel: "email", Points: []engagement.TrendPoint{{Start: day, Sent: 1}}},
	}
	a := portal.NewAnalytics(portal.Period{Bucket: engagement.BucketDay}, engagement.AnalyticsOptions{MinSends: 40}, stats, trends)
	var order []string
	for _, r := range a.Rows {
		order = append(order, fmt.Sprintf("%s v%d", r.TemplateKey, r.Version))
	}
	if got := strings.Join(order, ","); got != "b v1,c v2,a v1,c v1" {
		t.Errorf("rows = %s, want the flagged ones first, otherwise in engagement's order", got)
	}
	if th := a.Thresholds; a.Flagged != 2 || th.MinSends != 40 || th.MinOpenRate != engagement.DefaultMinOpenRate || th.MinDeliveryRate != engagement.DefaultMinDeliveryRate {
		t.Errorf("flagged %d, thresholds %+v; want 2 and 40 sends with the default rates", a.Flagged, th)
	}
	var charts []string
	for _, c := range a.Charts {
		charts = append(charts, fmt.Sprintf("%s:%v:%d", c.Title, c.Flagged, len(c.Series)))
	}
	if got := strings.Join(charts, ","); got != "b · en · sms:true:2,c · es · email:true:3,a · en · email:false:3" {
		t.Errorf("charts = %s", got)
	}
	b := a.Charts[0]
	if b.Series[0].Name != "Delivery rate" || b.Series[0].Points() != 1 || b.Series[0].Values[0] != nil || *b.Series[0].Values[1] != 0.75 {
		t.Errorf("sms delivery series = %+v, want no value for the empty day and 75%% after", b.Series[0])
	}
	if c := a.Charts[1]; c.Series[1].Name != "Open rate" || c.Series[1].Points() != 0 {
		t.Errorf("open rate without deliveries = %+v, want no points", c.Series[1])
	}
	flags := portal.Underperformers(stats)
	if len(flags) != 2 || !strings.Contains(flags[3], "v2 email: 1 of 60 opened") || flags[1] != "" {
		t.Errorf("underperformers = %v", flags)
	}
}
