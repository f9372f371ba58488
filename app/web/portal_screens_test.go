package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestDeadLetterInbox(t *testing.T) {
	e := newPortal(t)
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	b := e.browser()
	b.signIn("Olu Ops", "ops")
	if _, doc := b.get("/dead-letters"); doc.Find(`[data-testid="dead-empty"]`).Length() != 1 || doc.Find(`[data-testid="unknown-empty"]`).Length() != 1 {
		t.Error("empty inbox lacks its empty states")
	}
	dead := e.addMessage(caseID, "dead", "sms", "21211", "invalid number")
	dead2 := e.addMessage(caseID, "dead", "sms", "21211", "invalid number")
	unknown := e.addMessage(caseID, "outcome_unknown", "sms", "", "timed out after the request left")
	_, doc := b.get("/dead-letters")
	if n := doc.Find(`[data-testid="dead-letters"] [data-testid="dead-row"]`).Length(); n != 2 {
		t.Errorf("%d dead rows, want 2", n)
	}
	if n := doc.Find(`[data-testid="outcome-unknown"] [data-testid="dead-row"]`).Length(); n != 1 {
		t.Errorf("%d outcome_unknown rows, want 1 (shown apart)", n)
	}
	if got := text(doc, `#dl-`+itoa(dead)+` [data-testid="dead-fix"]`); got != "fix the number in the CMS" {
		t.Errorf("suggested fix = %q", got)
	}
	resp, _ := b.post(idURL("/dead-letters/%d/retry", dead), nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT status FROM messages WHERE id = $1`, dead); got != "pending" {
		t.Errorf("retried message status = %v, want pending", got)
	}
	if resp, _ := b.post(idURL("/dead-letters/%d/resolve", unknown), url.Values{"note": {""}}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("resolve without a note = %d, want 400", resp.StatusCode)
	}
	b.post(idURL("/dead-letters/%d/resolve", unknown), url.Values{"note": {"client confirmed by phone"}})
	if got := e.scalar(`SELECT resolution_note FROM messages WHERE id = $1`, unknown); got != "client confirmed by phone" {
		t.Errorf("resolution note = %v", got)
	}
	resp, _ = b.post("/dead-letters/bulk", url.Values{"action": {"resolve"}, "status": {"dead"}, "code": {"21211"}, "note": {"numbers fixed"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk resolve = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT resolved_at IS NOT NULL FROM messages WHERE id = $1`, dead2); got != true {
		t.Error("bulk resolve left a matching dead letter open")
	}
}

func TestTemplateEditorPreviewLintSaveRollback(t *testing.T) {
	e := newPortal(t)
	e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	tplID := seedTemplates(t, e)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	_, doc := b.get("/templates")
	if doc.Find(`[data-testid="template-row"]`).Length() == 0 {
		t.Fatal("template list is empty after seeding")
	}
	path := idURL("/templates/%d", tplID)
	_, doc = b.get(path)
	if doc.Find(`[data-testid="field-sms"][hx-trigger="keyup changed delay:400ms"]`).Length() != 1 {
		t.Error("SMS editor lacks the htmx live-preview trigger")
	}
	if doc.Find(`[data-testid="preview-sms"]`).Length() != 1 {
		t.Error("editor does not preview against a case on load")
	}

	caseID := e.scalar(`SELECT id FROM cases LIMIT 1`).(int64)
	preview := func(sms string) *goqueryDoc {
		form := url.Values{"sms": {sms}, "case_id": {itoa(caseID)}, "_csrf": {b.csrf}}
		req := httptest.NewRequest("POST", path+"/preview", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		resp := b.do(req)
		if resp.StatusCode != 200 {
			t.Fatalf("preview = %d", resp.StatusCode)
		}
		return b.parse(resp)
	}
	doc = preview("Hi {{ client_first_name }}, your case {{ case_number }} moved on.")
	if got := text(doc, `[data-testid="preview-sms"]`); got != "Hi Ana, your case 2026-CV-0001 moved on." {
		t.Errorf("preview = %q", got)
	}
	if got := text(doc, `[data-testid="preview-segments"]`); !strings.HasPrefix(got, "1 segment") {
		t.Errorf("segments = %q, want 1 segment", got)
	}
	doc = preview("Hi {{ client_first_name }},\n{{ client_frist_name }}")
	if got := text(doc, `[data-testid="lint"] [data-testid="problem"]`); !strings.Contains(got, "sms:2:") || !strings.Contains(got, "client_frist_name") {
		t.Errorf("lint = %q, want the unknown variable at line 2 with its column", got)
	}

	resp, doc := b.post(path, url.Values{"sms": {"{{ client_frist_name }}"}, "change_note": {"typo"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || doc.Find(`[data-testid="save-problems"]`).Length() != 1 {
		t.Errorf("saving a broken draft = %d, want 422 with problems", resp.StatusCode)
	}
	before := e.scalar(`SELECT count(*) FROM template_versions WHERE template_id = $1`, tplID).(int64)
	resp, _ = b.post(path, url.Values{"sms": {"Hello {{ client_first_name }} from {{ firm_name }}."}, "change_note": {"friendlier"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save = %d, want 303", resp.StatusCode)
	}
	after := e.scalar(`SELECT count(*) FROM template_versions WHERE template_id = $1`, tplID).(int64)
	if after != before+1 {
		t.Errorf("versions %d → %d, want one more", before, after)
	}
	_, doc = b.get(path)
	if got := text(doc, `[data-testid="history"] [data-testid="version-row"]:first-child`); !strings.Contains(got, "friendlier") || !strings.Contains(got, "current") {
		t.Errorf("history top = %q, want the new current version with its note", got)
	}
	resp, _ = b.post(path+"/rollback", url.Values{"version": {"1"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rollback = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT v.body_sms = (SELECT body_sms FROM template_versions WHERE template_id = $1 AND version = 1)
		FROM message_templates t JOIN template_versions v ON v.id = t.current_version_id WHERE t.id = $1`, tplID); got != true {
		t.Error("after rollback the current version is not version 1's content")
	}
	// An attorney may look but not save.
	a := e.browser()
	a.signIn("Alex", "attorney")
	if _, doc := a.get(path); doc.Find(`[data-testid="save"]`).Length() != 0 {
		t.Error("attorney sees the save button")
	}
}

func TestTimelineShowsSkipsMessagesAndExports(t *testing.T) {
	e := newPortal(t)
	caseID, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	path := idURL("/clients/%d/timeline", clientID)
	b := e.browser()
	b.signIn("Alex", "attorney")
	if _, doc := b.get(path); doc.Find(`[data-testid="timeline-empty"]`).Length() != 1 {
		t.Error("empty timeline lacks its empty state")
	}
	e.exec(`INSERT INTO rule_decisions (case_id, client_id, rule_key, trigger, result, reason, created_at)
		VALUES ($1, $2, 'status_update', 'status_transition', 'skipped_paused', 'case paused by Alex', $3)`, caseID, clientID, e.clock.Now())
	msg := e.addMessage(caseID, "delivered", "sms", "", "")
	e.exec(`INSERT INTO delivery_attempts (message_id, attempt, outcome, provider, provider_message_id, started_at) VALUES ($1, 1, 'sent', 'twilio', 'SM123', $2)`, msg, e.clock.Now())
	e.exec(`INSERT INTO provider_events (provider, provider_event_id, message_id, event_type, occurred_at) VALUES ('twilio', 'SM123-delivered', $1, 'delivered', $2)`, msg, e.clock.Now())
	e.exec(`INSERT INTO inbound_messages (provider, provider_message_id, client_id, channel, from_address, body) VALUES ('twilio', 'SMin1', $1, 'sms', '+13125550111', 'Thank you!')`, clientID)
	_, doc := b.get(path)
	if got := text(doc, `[data-testid="entry-decision"] [data-testid="entry-status"]`); got != "skipped: paused" {
		t.Errorf("decision shows %q, want skipped: paused", got)
	}
	msgText := text(doc, `[data-testid="entry-message"]`)
	for _, want := range []string{"Your case moved forward.", "SM123", "twilio reported delivered", "SM123-delivered"} {
		if !strings.Contains(msgText, want) {
			t.Errorf("message entry lacks %q: %s", want, msgText)
		}
	}
	if text(doc, `[data-testid="entry-reply"] [data-testid="entry-detail"]`) != "Thank you!" {
		t.Error("reply missing from the timeline")
	}
	_, doc = b.get(path + "?channel=email")
	if doc.Find(`[data-testid="entry-message"]`).Length() != 0 {
		t.Error("channel=email still lists the SMS")
	}
	resp := b.do(httptest.NewRequest("GET", path+".csv", nil))
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{"at,kind,case_id", ",decision,", ",attempt,", ",provider_status,", "SM123-delivered", ",reply,"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("CSV lacks %q:\n%s", want, body)
		}
	}
	if _, doc := b.get(path + "?print=1"); doc.Find(`[data-testid="timeline-filters"]`).Length() != 0 {
		t.Error("printable page shows the filter form")
	}
}

func TestDataHealthMapsStatus(t *testing.T) {
	e := newPortal(t)
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	b := e.browser()
	b.signIn("Olu", "ops")
	if _, doc := b.get("/data-health"); doc.Find(`[data-testid="unmapped-empty"]`).Length() != 1 || doc.Find(`[data-testid="findings-empty"]`).Length() != 1 {
		t.Error("clean data lacks the empty states")
	}
	e.exec(`INSERT INTO data_findings (case_id, field, code, raw) VALUES ($1, 'status', 'unknown_status', 'Discovery Phase II')`, caseID)
	_, doc := b.get("/data-health")
	if got := text(doc, `[data-testid="unmapped-row"] code`); got != "Discovery Phase II" {
		t.Errorf("unmapped row = %q", got)
	}
	resp, _ := b.post("/data-health/map", url.Values{"raw": {"Discovery Phase II"}, "status": {"discovery_initiated"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("map = %d, want 303", resp.StatusCode)
	}
	if got := e.scalar(`SELECT status_key FROM status_aliases WHERE alias = 'Discovery Phase II'`); got != "discovery_initiated" {
		t.Errorf("alias maps to %v, want discovery_initiated", got)
	}
}

func TestTasksStaffApprovalsRulesQueues(t *testing.T) {
	e := newPortal(t)
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	admin := e.browser()
	admin.signIn("Ann Admin", "admin")
	for path, empty := range map[string]string{"/tasks": "tasks-empty", "/approvals": "approvals-empty", "/rules": "rules-empty", "/ops/queues": ""} {
		resp, doc := admin.get(path)
		if resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
		if empty != "" && doc.Find(`[data-testid="`+empty+`"]`).Length() != 1 {
			t.Errorf("GET %s lacks its empty state %s", path, empty)
		}
	}
	e.exec(`INSERT INTO staff_tasks (title, case_id) VALUES ('Call the client back', $1)`, caseID)
	taskID := e.scalar(`SELECT id FROM staff_tasks`).(int64)
	annID := e.scalar(`SELECT id FROM staff_users WHERE name = 'Ann Admin'`).(int64)
	admin.post(idURL("/tasks/%d/assign", taskID), url.Values{"staff_id": {itoa(annID)}})
	if _, doc := admin.get("/tasks"); text(doc, `[data-testid="assignee"]`) != "Ann Admin" {
		t.Errorf("assignee = %q, want Ann Admin", text(doc, `[data-testid="assignee"]`))
	}
	admin.post(idURL("/tasks/%d/complete", taskID), nil)
	if got := e.scalar(`SELECT status FROM staff_tasks WHERE id = $1`, taskID); got != "done" {
		t.Errorf("task status = %v, want done", got)
	}

	// Staff: an admin gives a waiting user a role; nobody can demote themselves.
	e.exec(`INSERT INTO staff_users (email, name, role, provider) VALUES ('new@firm.test', 'New Person', NULL, 'oidc')`)
	newID := e.scalar(`SELECT id FROM staff_users WHERE email = 'new@firm.test'`).(int64)
	_, doc := admin.get("/settings/staff")
	if !strings.Contains(text(doc, `[data-testid="staff"]`), "waiting for a role") {
		t.Error("staff list does not flag the user waiting for a role")
	}
	if resp, _ := admin.post(idURL("/settings/staff/%d", newID), url.Values{"role": {"paralegal"}, "active": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("assign role = %d", resp.StatusCode)
	}
	if got := e.scalar(`SELECT role FROM staff_users WHERE id = $1`, newID); got != "paralegal" {
		t.Errorf("role = %v, want paralegal", got)
	}
	if resp, _ := admin.post(idURL("/settings/staff/%d", annID), url.Values{"role": {"ops"}, "active": {"1"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("admin demoting themselves = %d, want 409", resp.StatusCode)
	}
	if n := e.scalar(`SELECT count(*) FROM audit_log WHERE action = 'staff.update'`); n != int64(1) {
		t.Errorf("%v staff.update audit rows, want 1", n)
	}
	// Queues without an inspector say so rather than failing.
	if _, doc := admin.get("/ops/queues"); doc.Find(`[data-testid="queues-error"]`).Length() != 1 {
		t.Error("queues page without an inspector does not explain itself")
	}
}
