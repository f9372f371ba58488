package engagement_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/engagement"
	"github.com/heraldhq/herald/app/settings"
)

// TestRepliesUseTheSavedFirmDetails: once an admin saves the firm's name and
// phone in the portal, Herald's own keyword replies and the check-in page
// use them, not the environment's.
func TestRepliesUseTheSavedFirmDetails(t *testing.T) {
	e := newEnv(t)
	defaults := settings.Values{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100", PortalURL: "https://herald.firm.test",
		SMSStart: 8 * time.Hour, SMSEnd: 21 * time.Hour, RetrySchedule: []time.Duration{time.Minute}}
	st := settings.New(e.db, e.clk, defaults, settings.Options{TTL: time.Minute})
	f := settings.FormOf(defaults)
	f.FirmName, f.FirmPhone = "Okafor & Reyes", "+1 312 555 0199"
	if _, err := st.Save(context.Background(), f, "admin@firm.test"); err != nil {
		t.Fatal(err)
	}
	svc, err := engagement.New(engagement.Deps{DB: e.db, Ledger: e.ledger, Consent: e.consent, Pauses: e.pauses,
		Enqueuer: e.enq, Clock: e.clk, Settings: st},
		engagement.Config{FirmName: "Lopez Law", FirmPhone: "+1 312 555 0100", HeraldRepliesToKeywords: true})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	for _, c := range []struct{ body, want string }{
		{"HELP", "Okafor & Reyes: for help call +1 312 555 0199."},
		{"STOP", "Okafor & Reyes: you will no longer receive text messages"},
		{"START", "Okafor & Reyes: you will receive text messages from us again"},
	} {
		if r := e.inbound(t, c.body, ""); !strings.HasPrefix(r.Reply, c.want) {
			t.Errorf("%s: reply %q, want it to start %q", c.body, r.Reply, c.want)
		}
	}
	v, err := svc.Checkin(context.Background(), "not-a-link")
	if err == nil {
		t.Fatal("a bogus check-in link was accepted")
	}
	if v.FirmName != "Okafor & Reyes" || v.FirmPhone != "+1 312 555 0199" {
		t.Errorf("check-in page shows %q %q, want the saved firm details", v.FirmName, v.FirmPhone)
	}
}
