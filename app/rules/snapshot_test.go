package rules_test

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/cases"
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

// TestPlannerRendersTheClientsLanguageAndEditedTemplates checks the
// templates and status labels the planner keeps in its snapshot: each
// client gets the variant in their language (the firm default when there is
// none), and a new version or a renamed status saved by another process is
// what the next plan renders.
func TestPlannerRendersTheClientsLanguageAndEditedTemplates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	subject := func(ch cases.Change) []string {
		return e.rows(`SELECT subject FROM messages WHERE inbound_event_id = $1`, ch.InboundEventID)
	}
	english := e.apply(maria("intake_complete", nil))
	e.plan(english)
	spanishCase := maria("intake_complete", nil)
	spanishCase.CaseID, spanishCase.ClientID, spanishCase.Client.PreferredLanguage = "M-2", sp("cl-2"), sp("es")
	spanish := e.apply(spanishCase)
	e.plan(spanish)
	eq(t, "subject for the English client", subject(english), []string{"Welcome to Herald Demo Law, Maria"})
	eq(t, "subject for the Spanish client", subject(spanish), []string{"Bienvenido/a a Herald Demo Law, Maria"})

	if _, err := e.db.Pool.Exec(ctx, `WITH t AS (SELECT id FROM message_templates WHERE key = 'welcome' AND channel = 'email' AND language = 'en'),
		v AS (INSERT INTO template_versions (template_id, version, subject, body_html, body_text, body_sms, change_note, created_by)
			SELECT t.id, 2, 'Welcome aboard, {{ client_first_name }} ({{ status }})', '<p>Hi</p>', 'Hi', '', 'shorter', 'test' FROM t RETURNING id, template_id)
		UPDATE message_templates m SET current_version_id = v.id FROM v WHERE m.id = v.template_id`); err != nil {
		t.Fatal(err)
	}
	third := maria("intake_complete", nil)
	third.CaseID, third.ClientID = "M-3", sp("cl-3")
	edited := e.apply(third)
	e.plan(edited)
	eq(t, "subject after another process saved version 2", subject(edited), []string{"Welcome aboard, Maria (Intake Complete)"})

	// Status labels are in the snapshot too: a renamed status is what the
	// next plan renders.
	if _, err := e.db.Pool.Exec(ctx, `UPDATE canonical_statuses SET label = 'Signed up' WHERE key = 'intake_complete'`); err != nil {
		t.Fatal(err)
	}
	fourth := maria("intake_complete", nil)
	fourth.CaseID, fourth.ClientID = "M-4", sp("cl-4")
	relabelled := e.apply(fourth)
	e.plan(relabelled)
	eq(t, "subject after another process renamed the status", subject(relabelled), []string{"Welcome aboard, Maria (Signed up)"})
}
