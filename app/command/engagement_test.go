package command

import (
	"context"
	"io"
	"testing"

	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
)

// TestEngagementWiring checks the engagement settings reach the service
// and the check-in page is served exactly when links can be signed.
func TestEngagementWiring(t *testing.T) {
	_, dsn := storetest.NewDB(t)
	redisURL, _ := storetest.Redis(t)
	for _, tt := range []struct {
		name     string
		secret   string
		wantPage bool
	}{{"no session secret", "", false}, {"session secret", "0123456789abcdef0123456789abcdef", true}} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HERALD_DATABASE_URL": dsn, "HERALD_REDIS_URL": redisURL, "HERALD_SESSION_SECRET": tt.secret,
				"HERALD_UNDERPERFORM_MIN_SENDS": "25", "HERALD_UNDERPERFORM_OPEN_RATE": "10%"}
			cfg, err := config.Load(func(k string) string { return env[k] })
			if err != nil {
				t.Fatal(err)
			}
			d, err := build(context.Background(), cfg, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer d.close()
			s := services(d)
			if got := s.Checkins != nil; got != tt.wantPage {
				t.Errorf("check-in page served = %v, want %v", got, tt.wantPage)
			}
			if got := d.app.checkinLinks != nil; got != tt.wantPage {
				t.Errorf("check-in links = %v, want %v", got, tt.wantPage)
			}
			if th := d.app.engagement.Thresholds(); th.MinSends != 25 || th.MinOpenRate != 0.10 || th.MinDeliveryRate != 0.90 {
				t.Errorf("engagement thresholds = %+v, want 25 sends, 10%% opens, 90%% SMS delivery", th)
			}
			if s.WritebackFailures != nil {
				t.Error("write-back failures API served without a write-back target")
			}
		})
	}
	c := engagementConfig(config.Config{SMSKeywordReplies: "herald"})
	if !c.HeraldRepliesToKeywords {
		t.Error("HERALD_SMS_KEYWORD_REPLIES=herald does not make Herald answer keywords")
	}
}
