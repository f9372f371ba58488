package rules_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/settings"
)

// TestSavedFirmSettingsReachTemplates saves a firm name, phone and portal
// link in the settings and plans a change: the rendered message uses them,
// not the environment's.
func TestSavedFirmSettingsReachTemplates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := settings.New(e.db, e.clk, settings.Values{FirmName: "Herald Demo Law", FirmPhone: "+1 312 555 0100",
		PortalURL: "https://herald.test", SMSStart: 8 * time.Hour, SMSEnd: 21 * time.Hour,
		RetrySchedule: []time.Duration{time.Minute}}, settings.Options{})
	f := settings.FormOf(st.Defaults())
	f.FirmName, f.FirmPhone, f.PortalURL = "Reyes & Partners", "+1 773 555 0142", "https://clients.reyes.example"
	if _, err := st.Save(ctx, f, "Ada Admin"); err != nil {
		t.Fatal(err)
	}
	engine := render.New(render.Options{Now: e.clk.Now, FirmLocation: time.UTC})
	planner := rules.NewPlanner(rules.Deps{DB: e.db, Clock: e.clk,
		Config: rules.Config{SettleDelay: 0, FirmName: "Herald Demo Law", FirmPhone: "+1 312 555 0100",
			PortalURL: "https://herald.test", DefaultLang: "en", FirmLocation: time.UTC},
		Pauses: e.pauses, OptOuts: e.optOuts, Templates: content.New(e.db, engine, e.clk, "en"), Engine: engine,
		Cases: e.cases, Settings: st})
	if err := planner.Plan(ctx, e.apply(maria("consultation_scheduled", nil))); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	ch := e.apply(maria("intake_complete", nil))
	if err := planner.Plan(ctx, ch); err != nil {
		t.Fatal(err)
	}
	var html string
	if err := e.db.Pool.QueryRow(ctx, `SELECT body_html FROM messages WHERE inbound_event_id = $1 AND channel = 'email'`, ch.InboundEventID).Scan(&html); err != nil {
		t.Fatalf("welcome email: %v", err)
	}
	for _, want := range []string{"Reyes &amp; Partners", "+1 773 555 0142", "https://clients.reyes.example"} {
		if !strings.Contains(html, want) {
			t.Errorf("welcome email lacks the saved %q", want)
		}
	}
	if strings.Contains(html, "Herald Demo Law") || strings.Contains(html, "https://herald.test") {
		t.Error("welcome email still uses the environment's firm values")
	}
}
