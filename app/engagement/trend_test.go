package engagement_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/engagement"
)

func TestTemplateTrends(t *testing.T) {
	e := newEnv(t)
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	at := func(day, hour, min int) time.Time { return time.Date(2026, 2, day, hour, min, 0, 0, chicago) }
	e.template(t, "welcome/email", "en", 2)
	// welcome SMS: Monday 16th 10 delivered at noon and 2 failed at 23:30
	// Chicago (already the 17th in UTC: the bucket follows the firm's day);
	// Friday 20th 4 delivered and 1 replied; Tuesday 24th 5 delivered, 5 failed.
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 10, 1, at(16, 12, 0))
	e.seedMessages(t, "welcome/sms", "sms", "dead", 2, 100, at(16, 23, 30))
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 4, 200, at(20, 9, 0))
	e.seedMessages(t, "welcome/sms", "sms", "replied", 1, 300, at(20, 9, 0))
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 5, 400, at(24, 9, 0))
	e.seedMessages(t, "welcome/sms", "sms", "dead", 5, 500, at(24, 9, 0))
	// welcome email, both versions in one series: 4 opened on the 18th (v1),
	// 2 delivered on the 25th (v2).
	e.seedMessages(t, "welcome/email", "email", "opened", 4, 1, at(18, 9, 0))
	e.seedMessages(t, "welcome/email@en v2", "email", "delivered", 2, 100, at(25, 9, 0))
	// Outside the period on both sides.
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 7, 900, at(15, 23, 59))
	e.seedMessages(t, "welcome/sms", "sms", "delivered", 7, 1000, time.Date(2026, 3, 2, 0, 0, 0, 0, chicago))

	from, to := at(16, 0, 0), time.Date(2026, 3, 2, 0, 0, 0, 0, chicago)
	type pt struct{ sent, delivered, failed, opened, replied int }
	point := func(p engagement.TrendPoint) pt { return pt{p.Sent, p.Delivered, p.Failed, p.Opened, p.Replied} }
	for _, tt := range []struct {
		bucket string
		want   map[string]map[string]pt // series → bucket start (Jan 2) → counts; other buckets empty
		points int
	}{
		{engagement.BucketDay, map[string]map[string]pt{
			"welcome/sms":   {"Feb 16": {12, 10, 2, 0, 0}, "Feb 20": {5, 5, 0, 0, 1}, "Feb 24": {10, 5, 5, 0, 0}},
			"welcome/email": {"Feb 18": {4, 4, 0, 4, 0}, "Feb 25": {2, 2, 0, 0, 0}},
		}, 14},
		{engagement.BucketWeek, map[string]map[string]pt{
			"welcome/sms":   {"Feb 16": {17, 15, 2, 0, 1}, "Feb 23": {10, 5, 5, 0, 0}},
			"welcome/email": {"Feb 16": {4, 4, 0, 4, 0}, "Feb 23": {2, 2, 0, 0, 0}},
		}, 2},
	} {
		t.Run(tt.bucket, func(t *testing.T) {
			got, err := e.svc.TemplateTrends(context.Background(), engagement.TrendOptions{From: from, To: to, Bucket: tt.bucket, Zone: chicago})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d series, want %d: %+v", len(got), len(tt.want), got)
			}
			for _, s := range got {
				name := s.TemplateKey + "/" + s.Channel
				want, ok := tt.want[name]
				if !ok {
					t.Errorf("unexpected series %s", name)
					continue
				}
				if len(s.Points) != tt.points {
					t.Errorf("%s has %d points, want %d", name, len(s.Points), tt.points)
				}
				for i, p := range s.Points {
					if p.Start.Location() != chicago || p.Start.Hour() != 0 {
						t.Errorf("%s point %d starts %v, want midnight in Chicago", name, i, p.Start)
					}
					if tt.bucket == engagement.BucketWeek && p.Start.Weekday() != time.Monday {
						t.Errorf("%s week %d starts on %s, want Monday", name, i, p.Start.Weekday())
					}
					if g, w := point(p), want[p.Start.Format("Jan 2")]; g != w {
						t.Errorf("%s %s = %+v, want %+v", name, p.Start.Format("Jan 2"), g, w)
					}
				}
			}
		})
	}
	sms, _ := e.svc.TemplateTrends(context.Background(), engagement.TrendOptions{From: from, To: to, Bucket: engagement.BucketWeek, Zone: chicago})
	for _, s := range sms {
		if s.Channel == "sms" {
			if r := s.Points[1].DeliveryRate(); r != 0.5 {
				t.Errorf("sms delivery rate in week 2 = %v, want 0.5", r)
			}
			if r := s.Points[0].ReplyRate(); fmt.Sprintf("%.4f", r) != fmt.Sprintf("%.4f", 1.0/15) {
				t.Errorf("sms reply rate in week 1 = %v, want 1/15", r)
			}
		}
	}

	for _, bad := range []engagement.TrendOptions{
		{From: from, To: to, Bucket: "month"},
		{From: to, To: from, Bucket: engagement.BucketDay},
		{From: from.AddDate(-2, 0, 0), To: to, Bucket: engagement.BucketDay},
	} {
		if _, err := e.svc.TemplateTrends(context.Background(), bad); !errorsIs(err, derrors.InvalidArgument) {
			t.Errorf("%+v: %v, want InvalidArgument", bad, err)
		}
	}
}
