package rules_test

import (
	"context"
	"testing"
	"time"
)

// TestPlannerSeesRuleChangesFromAnotherProcess plans once so the planner
// caches the rules, then changes the welcome rule with plain SQL (as the
// portal does from another process, bypassing this planner entirely): the
// next plan must use the change, both when the rule is disabled and when
// its actions are edited.
func TestPlannerSeesRuleChangesFromAnotherProcess(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	first := e.apply(maria("intake_complete", nil))
	e.plan(first)
	eq(t, "decisions with the rule enabled", e.rows(`SELECT result FROM rule_decisions WHERE inbound_event_id = $1 AND rule_key = 'welcome_on_intake'`, first.InboundEventID),
		[]string{"fired"})

	if _, err := e.db.Pool.Exec(ctx, `UPDATE rules SET enabled = false WHERE key = 'welcome_on_intake'`); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.clk.Advance(time.Hour)
	disabled := e.apply(maria("intake_complete", nil))
	e.plan(disabled)
	if got := e.rows(`SELECT result FROM rule_decisions WHERE inbound_event_id = $1 AND rule_key = 'welcome_on_intake'`, disabled.InboundEventID); len(got) != 0 {
		t.Errorf("decisions after another process disabled the rule = %q, want none", got)
	}

	if _, err := e.db.Pool.Exec(ctx, `UPDATE rules SET enabled = true,
		actions = '[{"type":"send","template":"welcome","channels":["sms"]}]' WHERE key = 'welcome_on_intake'`); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	e.plan(e.apply(maria("discovery_initiated", nil)))
	e.clk.Advance(time.Hour)
	edited := e.apply(maria("intake_complete", nil))
	e.plan(edited)
	// welcome has no SMS version: the edited actions were read.
	eq(t, "decisions after another process edited the actions",
		e.rows(`SELECT result, reason FROM rule_decisions WHERE inbound_event_id = $1 AND rule_key = 'welcome_on_intake'`, edited.InboundEventID),
		[]string{"skipped_no_channel|template welcome has no sms version"})
}
