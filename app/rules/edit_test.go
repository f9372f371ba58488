package rules_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/rules"
)

func (e *env) editor() *rules.Editor {
	engine := render.New(render.Options{Now: e.clk.Now, FirmLocation: time.UTC})
	return rules.NewEditor(e.db, e.clk, content.New(e.db, engine, e.clk, "en"))
}

func (e *env) ruleID(key string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Pool.QueryRow(context.Background(), `SELECT id FROM rules WHERE key = $1`, key).Scan(&id); err != nil {
		e.t.Fatalf("rule %s: %v", key, err)
	}
	return id
}

func TestEditorUpdateStoresAndAudits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ed := e.editor()
	id := e.ruleID("court_reminder_7d")
	r, err := ed.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	edit := rules.EditOf(r)
	edit.OffsetMinutes = 3 * 24 * 60
	edit.AtLocalTime = "10:30"
	edit.Sends[0].Channels = []string{"sms", "email"}
	edit.Sends[0].Mode = "first"
	zero := time.Duration(0)
	edit.SettleDelay = &zero
	edit.RequiresApproval = true
	edit.ApprovalTTL = 24 * time.Hour
	if _, err := ed.Update(ctx, id, edit, "Ada Admin <ada@firm.test>"); err != nil {
		t.Fatalf("Update: %v", err)
	}
	got, err := ed.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.OffsetMinutes != 4320 || got.AtLocalTime != "10:30" || !slices.Equal(got.Actions[0].Channels, []string{"sms", "email"}) ||
		got.Actions[0].Mode != "first" || got.SettleDelaySeconds == nil || *got.SettleDelaySeconds != 0 ||
		!got.RequiresApproval || got.ApprovalTTLSeconds != 86400 || got.Key != "court_reminder_7d" || got.Trigger != rules.TriggerDateReminder {
		t.Errorf("stored rule = %+v, want the edit applied and key/trigger kept", got)
	}
	var actor, target, details string
	if err := e.db.Pool.QueryRow(ctx, `SELECT actor, target_id, details::text FROM audit_log WHERE action = 'rule.update'`).Scan(&actor, &target, &details); err != nil {
		t.Fatalf("audit: %v", err)
	}
	var d struct {
		Changed       []string
		Before, After map[string]any
	}
	json.Unmarshal([]byte(details), &d)
	if target != "court_reminder_7d" || !slices.Contains(d.Changed, "offset") || d.Before["offset"] != "7d" || d.After["offset"] != "3d" ||
		!slices.Contains(d.Changed, "requires_approval") {
		t.Errorf("audit = %s %s, want the changed offset 7d → 3d and approval", target, details)
	}

	// Saving every seeded rule unchanged is accepted and audits nothing new.
	for _, key := range []string{"welcome_on_intake", "settlement_offer", "court_reminder_1d", "court_date_moved", "court_date_cancelled", "contact_changed", "inactivity_checkin"} {
		r, err := ed.Get(ctx, e.ruleID(key))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ed.Update(ctx, r.ID, rules.EditOf(r), "Ada"); err != nil {
			t.Errorf("saving %s unchanged: %v", key, err)
		}
	}
	if n := e.count("audit_log"); n != 1 {
		t.Errorf("audit rows = %d after unchanged saves, want 1", n)
	}
}

// TestEditorRejectsWithFieldErrors checks each kind of bad edit is named on
// its form field, and that nothing is stored.
func TestEditorRejectsWithFieldErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ed := e.editor()
	tests := []struct {
		name, rule string
		edit       func(*rules.Edit)
		field      string
		problem    string
	}{
		{"unknown template", "welcome_on_intake", func(x *rules.Edit) { x.Sends[0].Template = "welcom" }, "actions[0].template", `"welcom" is not a template`},
		{"template without that channel", "welcome_on_intake", func(x *rules.Edit) { x.Sends[0].Channels = []string{"sms"} }, "actions[0].channels", "template welcome has no sms version"},
		{"no channel", "welcome_on_intake", func(x *rules.Edit) { x.Sends[0].Channels = nil }, "actions[0].channels", "is empty"},
		{"unknown channel", "welcome_on_intake", func(x *rules.Edit) { x.Sends[0].Channels = []string{"fax"} }, "actions[0].channels", `"fax" is not a channel`},
		{"channel twice", "settlement_offer", func(x *rules.Edit) { x.Sends[0].Channels = []string{"sms", "sms"} }, "actions[0].channels", "lists sms twice"},
		{"unknown to status", "welcome_on_intake", func(x *rules.Edit) { x.ToStatus = "intake_done" }, "to_status", `"intake_done" is not a canonical status`},
		{"unknown from status", "welcome_on_intake", func(x *rules.Edit) { x.FromStatus = "nowhere" }, "from_status", `"nowhere" is not a canonical status`},
		{"empty to status", "welcome_on_intake", func(x *rules.Edit) { x.ToStatus = "" }, "to_status", "is required"},
		{"from equals to", "welcome_on_intake", func(x *rules.Edit) { x.FromStatus = "intake_complete" }, "from_status", "is the same as the new status"},
		{"negative offset", "court_reminder_7d", func(x *rules.Edit) { x.OffsetMinutes = -60 }, "offset", "is negative"},
		{"offset beyond a year", "court_reminder_7d", func(x *rules.Edit) { x.OffsetMinutes = 400 * 24 * 60 }, "offset", "is more than a year"},
		{"local time with hours offset", "court_reminder_7d", func(x *rules.Edit) { x.OffsetMinutes = 36 * 60 }, "at_local_time", "only applies to whole-day offsets"},
		{"bad local time", "court_reminder_7d", func(x *rules.Edit) { x.AtLocalTime = "9am" }, "at_local_time", "is not HH:MM"},
		{"zero inactivity", "inactivity_checkin", func(x *rules.Edit) { x.InactivityDays = 0 }, "inactivity_days", "must be positive"},
		{"settle too long", "settlement_offer", func(x *rules.Edit) { d := 48 * time.Hour; x.SettleDelay = &d }, "settle_delay", "is out of range"},
		{"approval ttl too short", "settlement_offer", func(x *rules.Edit) { x.ApprovalTTL = time.Minute }, "approval_ttl", "is out of range"},
		{"empty name", "settlement_offer", func(x *rules.Edit) { x.Name = "  " }, "name", "is required"},
		{"bad mode", "settlement_offer", func(x *rules.Edit) { x.Sends[0].Mode = "some" }, "actions[0].mode", `"some" is not a mode`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.ruleID(tt.rule)
			r, err := ed.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			x := rules.EditOf(r)
			tt.edit(&x)
			_, err = ed.Update(ctx, id, x, "Ada")
			var fs derrors.Fields
			if !errors.As(err, &fs) {
				t.Fatalf("err = %v, want derrors.Fields", err)
			}
			found := false
			for _, f := range fs {
				if f.Field == tt.field && strings.Contains(f.Problem, tt.problem) && f.Fix != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("errors %q: none on %s containing %q with a fix", err, tt.field, tt.problem)
			}
			after, _ := ed.Get(ctx, id)
			if after.Name != r.Name || !slices.Equal(after.Actions[0].Channels, r.Actions[0].Channels) || after.ToStatus != r.ToStatus {
				t.Errorf("a rejected edit changed the rule: %+v", after)
			}
		})
	}
	if _, err := ed.Update(ctx, 999999, rules.Edit{}, "Ada"); !errors.Is(err, derrors.NotFound) {
		t.Errorf("Update of a missing rule = %v, want NotFound", err)
	}
	if n := e.count("audit_log"); n != 0 {
		t.Errorf("audit rows = %d after rejected edits, want 0", n)
	}
}

// TestDisabledRuleDoesNotFire disables the welcome rule through the editor
// and plans a case reaching intake_complete: the planner records nothing
// for it and sends nothing; enabled again, the next case gets the email.
func TestDisabledRuleDoesNotFire(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ed := e.editor()
	id := e.ruleID("welcome_on_intake")
	if err := ed.SetEnabled(ctx, id, false, "Ada Admin", "welcome text under review"); err != nil {
		t.Fatal(err)
	}
	if err := ed.SetEnabled(ctx, id, false, "Ada Admin", "again"); err != nil {
		t.Fatal(err)
	}
	e.plan(e.apply(maria("consultation_scheduled", nil)))
	e.clk.Advance(time.Hour)
	ch := e.apply(maria("intake_complete", nil))
	e.plan(ch)
	if got := e.rows(`SELECT result FROM rule_decisions WHERE inbound_event_id = $1 AND rule_key = 'welcome_on_intake'`, ch.InboundEventID); len(got) != 0 {
		t.Errorf("decisions of the disabled rule = %q, want none", got)
	}
	if got := e.rows(`SELECT channel FROM messages WHERE inbound_event_id = $1`, ch.InboundEventID); len(got) != 0 {
		t.Errorf("messages while disabled = %q, want none", got)
	}
	eq(t, "audit", e.rows(`SELECT action, target_id, reason FROM audit_log ORDER BY id`),
		[]string{"rule.disable|welcome_on_intake|welcome text under review"})

	if err := ed.SetEnabled(ctx, id, true, "Ada Admin", ""); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.clk.Advance(time.Hour)
	again := e.apply(maria("intake_complete", nil))
	e.plan(again)
	eq(t, "decisions once enabled", e.rows(`SELECT rule_key, result FROM rule_decisions WHERE inbound_event_id = $1`, again.InboundEventID),
		[]string{"welcome_on_intake|fired"})
	if err := ed.SetEnabled(ctx, 999999, true, "Ada", ""); !errors.Is(err, derrors.NotFound) {
		t.Errorf("SetEnabled of a missing rule = %v, want NotFound", err)
	}
}

// TestCreatedStatusRuleFires adds a rule for a status no rule covered and
// plans a case moving into it.
func TestCreatedStatusRuleFires(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ed := e.editor()
	n := rules.NewStatusRule{ToStatus: "mediation_scheduled", Name: "Tell the client mediation is scheduled",
		Send: rules.SendEdit{Template: "case_update_checkin", Channels: []string{"email"}, Fallback: true}}
	r, err := ed.CreateStatusRule(ctx, n, "Ada Admin")
	if err != nil {
		t.Fatalf("CreateStatusRule: %v", err)
	}
	if r.Key != "on_mediation_scheduled" || r.ID == 0 {
		t.Errorf("created %+v, want key on_mediation_scheduled", r)
	}
	if _, err := ed.CreateStatusRule(ctx, n, "Ada Admin"); !errors.Is(err, derrors.Conflict) {
		t.Errorf("second create = %v, want Conflict", err)
	}
	bad := n
	bad.ToStatus, bad.Send.Template = "retained", "nope"
	var fs derrors.Fields
	if _, err := ed.CreateStatusRule(ctx, bad, "Ada"); !errors.As(err, &fs) || fs[0].Field != "actions[0].template" {
		t.Errorf("create with an unknown template = %v, want a field error on actions[0].template", err)
	}
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.clk.Advance(time.Hour)
	ch := e.apply(maria("mediation_scheduled", nil))
	e.plan(ch)
	eq(t, "decisions", e.rows(`SELECT rule_key, result FROM rule_decisions WHERE inbound_event_id = $1`, ch.InboundEventID),
		[]string{"on_mediation_scheduled|fired"})
	eq(t, "audit", e.rows(`SELECT action, target_id FROM audit_log ORDER BY id`), []string{"rule.create|on_mediation_scheduled"})
}

func TestParseOffset(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		err  bool
	}{
		{"7d", 10080, false}, {"36h", 2160, false}, {"1d 12h", 2160, false}, {"90m", 90, false}, {"0", 0, false},
		{"1D, 2H", 1560, false}, {"", 0, true}, {"soon", 0, true}, {"-1d", 0, true}, {"7 days", 0, true}, {"1.5d", 0, true},
	} {
		got, err := rules.ParseOffset(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseOffset(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
		var fe *derrors.FieldError
		if err != nil && (!errors.As(err, &fe) || fe.Field != "offset") {
			t.Errorf("ParseOffset(%q) error %v is not on field offset", tt.in, err)
		}
		if err == nil {
			if back, _ := rules.ParseOffset(rules.FormatOffset(got)); back != got {
				t.Errorf("FormatOffset(%d) = %q does not parse back", got, rules.FormatOffset(got))
			}
		}
	}
}
