package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestPortalRoleAccess checks every portal page against every role: the
// server refuses (403) what the role may not see, whatever the UI shows.
func TestPortalRoleAccess(t *testing.T) {
	e := newPortal(t)
	caseID, clientID := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	tplID := seedTemplates(t, e)
	pages := map[string][]string{ // path → roles allowed
		"/":                                     {"admin", "attorney", "paralegal", "ops"},
		"/cases":                                {"admin", "attorney", "paralegal", "ops"},
		idURL("/cases/%d", caseID):              {"admin", "attorney", "paralegal", "ops"},
		idURL("/clients/%d/timeline", clientID): {"admin", "attorney", "paralegal", "ops"},
		"/dead-letters":                         {"admin", "paralegal", "ops"},
		"/templates":                            {"admin", "attorney", "paralegal"},
		idURL("/templates/%d", tplID):           {"admin", "attorney", "paralegal"},
		"/data-health":                          {"admin", "paralegal", "ops"},
		"/tasks":                                {"admin", "attorney", "paralegal"},
		"/audit":                                {"admin", "attorney"},
		"/approvals":                            {"admin", "attorney"},
		"/rules":                                {"admin", "attorney", "paralegal"},
		"/settings/staff":                       {"admin"},
		"/ops/queues":                           {"admin", "ops"},
	}
	for _, role := range []string{"admin", "attorney", "paralegal", "ops"} {
		b := e.browser()
		b.signIn("Staff "+role, role)
		for path, allowed := range pages {
			want := http.StatusForbidden
			for _, r := range allowed {
				if r == role {
					want = http.StatusOK
				}
			}
			resp, doc := b.get(path)
			if resp.StatusCode != want {
				t.Errorf("%s GET %s = %d, want %d", role, path, resp.StatusCode, want)
			}
			if want == http.StatusForbidden && !strings.Contains(text(doc, `[data-testid="error-message"]`), "cannot use this page") {
				t.Errorf("%s GET %s: 403 page does not explain the refusal: %q", role, path, text(doc, "body"))
			}
		}
	}
}

// TestPortalActionsRefuseRolesAndCSRF posts every action with a role that
// may not do it (403) and, with the right role, without or with a wrong
// CSRF token (403); nothing changes in either case.
func TestPortalActionsRefuseRolesAndCSRF(t *testing.T) {
	e := newPortal(t)
	caseID, _ := e.addCase("M-1", "2026-CV-0001", "Ana", "Garcia", "intake_complete")
	tplID := seedTemplates(t, e)
	msgID := e.addMessage(caseID, "dead", "sms", "21211", "invalid number")
	tests := []struct {
		path      string
		form      url.Values
		wrongRole string
		rightRole string
	}{
		{idURL("/cases/%d/pause", caseID), url.Values{"reason": {"x"}, "confirm": {"yes"}}, "paralegal", "attorney"},
		{idURL("/cases/%d/unpause", caseID), url.Values{"confirm": {"yes"}}, "ops", "attorney"},
		{idURL("/dead-letters/%d/retry", msgID), nil, "attorney", "ops"},
		{idURL("/dead-letters/%d/resolve", msgID), url.Values{"note": {"called"}}, "attorney", "paralegal"},
		{"/dead-letters/bulk", url.Values{"action": {"retry"}, "status": {"dead"}}, "attorney", "ops"},
		{idURL("/templates/%d", tplID), url.Values{"sms": {"hi"}, "change_note": {"x"}}, "attorney", "paralegal"},
		{idURL("/templates/%d/rollback", tplID), url.Values{"version": {"1"}}, "ops", "paralegal"},
		{"/data-health/map", url.Values{"raw": {"Closed-ish"}, "status": {"intake_complete"}}, "attorney", "ops"},
		{"/settings/staff/1", url.Values{"role": {"admin"}, "active": {"1"}}, "attorney", "admin"},
	}
	before := e.scalar(`SELECT count(*) FROM audit_log`)
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			wrong := e.browser()
			wrong.signIn("Wrong "+tt.wrongRole, tt.wrongRole)
			if resp, _ := wrong.post(tt.path, clone(tt.form)); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s = %d, want 403", tt.wrongRole, tt.path, resp.StatusCode)
			}
			right := e.browser()
			right.signIn("Right "+tt.rightRole, tt.rightRole)
			missing := clone(tt.form)
			missing.Set("_csrf", "")
			if resp, _ := right.post(tt.path, missing); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s without CSRF = %d, want 403", tt.rightRole, tt.path, resp.StatusCode)
			}
			forged := clone(tt.form)
			forged.Set("_csrf", strings.Repeat("A", 43))
			if resp, _ := right.post(tt.path, forged); resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s POST %s with a forged CSRF token = %d, want 403", tt.rightRole, tt.path, resp.StatusCode)
			}
		})
	}
	if after := e.scalar(`SELECT count(*) FROM audit_log`); after != before {
		t.Errorf("audit rows %v → %v: a refused request changed something", before, after)
	}
	if got := e.scalar(`SELECT status FROM messages WHERE id = $1`, msgID); got != "dead" {
		t.Errorf("dead letter status = %v after refused requests, want dead", got)
	}
}

func TestCSRFHeaderFromHTMX(t *testing.T) {
	e := newPortal(t)
	tplID := seedTemplates(t, e)
	b := e.browser()
	b.signIn("Pat", "paralegal")
	form := url.Values{"sms": {"Hello {{ client_first_name }}"}}
	for _, tt := range []struct {
		name  string
		token string
		want  int
	}{{"header token", b.csrf, 200}, {"wrong header token", "nope", 403}} {
		req := httptest.NewRequest("POST", idURL("/templates/%d/preview", tplID), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("HX-Request", "true")
		req.Header.Set("X-CSRF-Token", tt.token)
		if resp := b.do(req); resp.StatusCode != tt.want {
			t.Errorf("%s: htmx preview = %d, want %d", tt.name, resp.StatusCode, tt.want)
		}
	}
}

func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
