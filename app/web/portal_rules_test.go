package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/heraldhq/herald/app/rules"
	"github.com/heraldhq/herald/app/settings"
	"github.com/heraldhq/herald/app/web"
	"github.com/heraldhq/herald/config"
)

// envSettings are the environment's values the settings screen starts from.
var envSettings = settings.Values{FirmName: "Test Law", FirmPhone: "+1 312 555 0100", EmailFromName: "Test Law",
	PortalURL: "http://herald.test", SMSStart: 8 * time.Hour, SMSEnd: 21 * time.Hour,
	SMSDays:       []time.Weekday{0, 1, 2, 3, 4, 5, 6},
	RetrySchedule: []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}, AlertEmails: []string{"ops@firm.test"}}

// withEditors wires the rule editor and the settings store into the portal.
func withEditors(opt settings.Options) func(*web.Deps) {
	return func(d *web.Deps) {
		ps := d.Services.Portal
		ps.Rules = rules.NewEditor(d.DB, d.Clock, ps.Templates)
		ps.Settings = settings.New(d.DB, d.Clock, envSettings, opt)
	}
}

// newRulesPortal is a portal with the default statuses, templates and
// playbook loaded and the editors wired.
func newRulesPortal(t *testing.T) *portalEnv {
	t.Helper()
	e := newPortal(t, withEditors(settings.Options{}))
	e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete") // seeds the statuses
	seedTemplates(t, e)
	if _, err := rules.Seed(context.Background(), e.db, config.RulesYAML); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *portalEnv) ruleID(key string) int64 {
	e.t.Helper()
	return e.scalar(`SELECT id FROM rules WHERE key = $1`, key).(int64)
}

// ruleFormOf is the form as the rule page renders it (every input and
// selected option), so a test edits what a person would see.
func ruleFormOf(t *testing.T, doc *goqueryDoc) url.Values {
	t.Helper()
	form := url.Values{}
	sel := doc.Find(`[data-testid="rule-form"]`)
	if sel.Length() != 1 {
		t.Fatal("no rule form on the page")
	}
	sel.Find("input").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		typ, _ := s.Attr("type")
		if name == "" || name == "_csrf" || (typ == "checkbox" && s.AttrOr("checked", "none") == "none") {
			return
		}
		form.Set(name, s.AttrOr("value", ""))
	})
	sel.Find("select").Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		form.Set(name, s.Find("option[selected]").AttrOr("value", s.Find("option").First().AttrOr("value", "")))
	})
	return form
}

func TestRulesScreenEditsAndAudits(t *testing.T) {
	e := newRulesPortal(t)
	admin := e.browser()
	admin.signIn("Ada Admin", "admin")

	resp, doc := admin.get("/rules")
	if resp.StatusCode != 200 || doc.Find(`[data-testid="rule-court_reminder_7d"] [data-testid="disable"]`).Length() != 1 {
		t.Fatalf("rules list = %d; want each rule with a Disable button for an admin", resp.StatusCode)
	}
	if doc.Find(`[data-testid="uncovered-retained"] [data-testid="add-rule"]`).Length() != 1 {
		t.Errorf("statuses with no rule: %q, want retained listed with Add a rule", text(doc, `[data-testid="uncovered"]`))
	}
	if doc.Find(`[data-testid="uncovered-intake_complete"]`).Length() != 0 {
		t.Error("intake_complete is listed as uncovered though welcome_on_intake covers it")
	}

	id := e.ruleID("court_reminder_7d")
	_, doc = admin.get(idURL("/rules/%d", id))
	form := ruleFormOf(t, doc)
	if form.Get("offset") != "7d" || form.Get("at_local_time") != "09:00" || form.Get("a0_first") != "email" || form.Get("a0_then") != "sms" {
		t.Fatalf("rule form = %v, want offset 7d at 09:00, email then sms", form)
	}
	form.Set("offset", "3d")
	form.Set("a0_first", "sms")
	form.Set("a0_then", "email")
	form.Set("a0_mode", "first")
	form.Set("settle_delay", "0")
	form.Set("requires_approval", "1")
	if resp, _ := admin.post(idURL("/rules/%d", id), form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save = %d, want 303", resp.StatusCode)
	}
	got := e.scalar(`SELECT offset_minutes || '|' || (actions->0->>'channels') || '|' || (actions->0->>'mode') || '|' ||
		settle_delay_seconds || '|' || requires_approval FROM rules WHERE id = $1`, id)
	if got != `4320|["sms", "email"]|first|0|true` {
		t.Errorf("stored rule = %v, want offset 3d, sms then email, first, settle 0, approval", got)
	}
	if a := e.scalar(`SELECT actor || ' ' || action || ' ' || target_id FROM audit_log WHERE action = 'rule.update'`).(string); !strings.HasPrefix(a, "Ada Admin <") ||
		!strings.HasSuffix(a, "> rule.update court_reminder_7d") {
		t.Errorf("audit = %q, want Ada Admin's rule.update of court_reminder_7d", a)
	}
	if _, doc := admin.get(idURL("/rules/%d?done=rule-saved", id)); !strings.Contains(text(doc, `[data-testid="flash"]`), "Rule saved") ||
		ruleFormOf(t, doc).Get("offset") != "3d" {
		t.Error("after saving, the rule page does not confirm and show the new offset")
	}

	// Disable from the list; the list shows it, the audit log has the reason.
	welcome := e.ruleID("welcome_on_intake")
	if resp, _ := admin.post(idURL("/rules/%d/enabled", welcome), url.Values{"enabled": {"0"}, "reason": {"rewriting the welcome"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable = %d", resp.StatusCode)
	}
	_, doc = admin.get("/rules")
	if text(doc, `[data-testid="rule-welcome_on_intake"] [data-testid="rule-state"]`) != "disabled" {
		t.Errorf("welcome state = %q, want disabled", text(doc, `[data-testid="rule-welcome_on_intake"] [data-testid="rule-state"]`))
	}
	if doc.Find(`[data-testid="uncovered-intake_complete"]`).Length() != 1 {
		t.Error("with its only rule disabled, intake_complete is not listed as uncovered")
	}
	if r := e.scalar(`SELECT reason FROM audit_log WHERE action = 'rule.disable' AND target_id = 'welcome_on_intake'`); r != "rewriting the welcome" {
		t.Errorf("disable audit reason = %v", r)
	}

	// Add a rule for an uncovered status.
	_, doc = admin.get("/rules/new?to_status=retained")
	if doc.Find(`select[name="to_status"] option[value="retained"][selected]`).Length() != 1 {
		t.Error("the new-rule form does not preselect the status it was opened for")
	}
	resp, _ = admin.post("/rules/new", url.Values{"name": {"Welcome to the team"}, "to_status": {"retained"},
		"a0_template": {"welcome"}, "a0_first": {"email"}, "a0_mode": {"all"}, "a0_fallback": {"1"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/rules/") {
		t.Fatalf("create = %d %s, want 303 to the new rule", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, doc := admin.get("/rules"); doc.Find(`[data-testid="uncovered-retained"]`).Length() != 0 || doc.Find(`[data-testid="rule-on_retained"]`).Length() != 1 {
		t.Error("after adding on_retained, retained is still uncovered or the rule is not listed")
	}
}

// TestRuleFormShowsFieldErrors posts bad input and expects each problem
// next to its field, with nothing stored.
func TestRuleFormShowsFieldErrors(t *testing.T) {
	e := newRulesPortal(t)
	admin := e.browser()
	admin.signIn("Ada Admin", "admin")
	reminder, welcome := e.ruleID("court_reminder_7d"), e.ruleID("welcome_on_intake")
	tests := []struct {
		name  string
		id    int64
		edit  map[string]string
		field string
		want  string
	}{
		{"bad offset", reminder, map[string]string{"offset": "soon"}, "offset", `"soon" is not an offset`},
		{"negative-looking offset", reminder, map[string]string{"offset": "-2d"}, "offset", "is not an offset"},
		{"offset over a year", reminder, map[string]string{"offset": "400d"}, "offset", "more than a year"},
		{"unknown template", welcome, map[string]string{"a0_template": "welcom"}, "actions[0].template", `"welcom" is not a template`},
		{"template lacks sms", welcome, map[string]string{"a0_first": "sms"}, "actions[0].channels", "Template welcome has no sms version: remove sms"},
		{"same channel twice", reminder, map[string]string{"a0_then": "email"}, "actions[0].channels", "Lists email twice"},
		{"unknown status", welcome, map[string]string{"to_status": "intake_done"}, "to_status", `"intake_done" is not a canonical status`},
		{"bad settle delay", welcome, map[string]string{"settle_delay": "a while"}, "settle_delay", `"a while" is not a duration`},
		{"bad approval expiry", welcome, map[string]string{"approval_ttl": "5m"}, "approval_ttl", "5m0s is out of range"},
		{"empty name", welcome, map[string]string{"name": " "}, "name", "Is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, doc := admin.get(idURL("/rules/%d", tt.id))
			form := ruleFormOf(t, doc)
			for k, v := range tt.edit {
				form.Set(k, v)
			}
			resp, doc := admin.post(idURL("/rules/%d", tt.id), form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status = %d, want 422", resp.StatusCode)
			}
			if got := text(doc, `[data-testid="error-`+tt.field+`"]`); !strings.Contains(got, tt.want) {
				t.Errorf("error on %s = %q, want it to contain %q", tt.field, got, tt.want)
			}
			for k, v := range tt.edit {
				if k != "a0_first" && k != "a0_then" && k != "a0_template" && k != "to_status" && ruleFormOf(t, doc).Get(k) != v {
					t.Errorf("the form lost what was typed in %s: %q", k, ruleFormOf(t, doc).Get(k))
				}
			}
		})
	}
	if n := e.scalar(`SELECT count(*) FROM audit_log WHERE action LIKE 'rule.%'`); n != int64(0) {
		t.Errorf("%v rule audit rows after rejected edits, want 0", n)
	}
	if got := e.scalar(`SELECT offset_minutes FROM rules WHERE id = $1`, reminder); got != int32(10080) {
		t.Errorf("offset = %v after rejected edits, want 10080", got)
	}
}

// TestRulesReadOnlyForOtherRoles: attorneys and paralegals see the rules
// and each rule's settings, but no button that changes them.
func TestRulesReadOnlyForOtherRoles(t *testing.T) {
	e := newRulesPortal(t)
	id := e.ruleID("settlement_offer")
	for _, role := range []string{"attorney", "paralegal"} {
		b := e.browser()
		b.signIn("Staff "+role, role)
		_, doc := b.get("/rules")
		if doc.Find(`[data-testid="rule-toggle"], [data-testid="add-rule"]`).Length() != 0 {
			t.Errorf("%s sees enable/disable or add buttons", role)
		}
		resp, doc := b.get(idURL("/rules/%d", id))
		if resp.StatusCode != 200 || doc.Find(`[data-testid="read-only"]`).Length() != 1 ||
			doc.Find(`[data-testid="rule-form"] fieldset[disabled]`).Length() == 0 || doc.Find(`[data-testid="save-rule"]`).Length() != 0 {
			t.Errorf("%s rule page = %d, want it read-only without a save button", role, resp.StatusCode)
		}
		if !strings.Contains(text(doc, `[data-testid="other-action"]`), "Follow up with client on offer.") {
			t.Errorf("%s does not see the rule's task action", role)
		}
	}
}
