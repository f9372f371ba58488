package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestSignInRedirectsAndDevLogin(t *testing.T) {
	e := newPortal(t)
	b := e.browser()

	resp, _ := b.get("/cases?q=x")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fcases%3Fq%3Dx" {
		t.Fatalf("anonymous GET /cases = %d Location %q, want 303 to /login?next=%%2Fcases%%3Fq%%3Dx", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, doc := b.get("/login")
	if doc.Find(`[data-testid="dev-login"]`).Length() != 1 {
		t.Fatal("login page lacks the dev sign-in form")
	}
	resp, _ = b.post("/auth/dev", url.Values{"name": {"Pat Lee"}, "role": {"paralegal"}, "next": {"/cases"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/cases" {
		t.Fatalf("dev sign-in = %d → %q, want 303 → /cases", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, doc = b.get("/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET / after sign-in = %d", resp.StatusCode)
	}
	if got := text(doc, `[data-testid="who"]`); got != "Pat Lee" {
		t.Errorf("header shows %q, want Pat Lee", got)
	}
	if got := text(doc, `[data-testid="role"]`); got != "paralegal" {
		t.Errorf("role shows %q, want paralegal", got)
	}
	// A paralegal's navigation has templates and dead letters, not staff or queues.
	for sel, want := range map[string]int{`[data-testid="nav-templates"]`: 1, `[data-testid="nav-dead-letters"]`: 1,
		`[data-testid="nav-staff"]`: 0, `[data-testid="nav-queues"]`: 0, `[data-testid="nav-approvals"]`: 0} {
		if got := doc.Find(sel).Length(); got != want {
			t.Errorf("paralegal nav %s count = %d, want %d", sel, got, want)
		}
	}
	// Sign out: the old cookie no longer reaches pages.
	resp, _ = b.post("/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout = %d, want 303", resp.StatusCode)
	}
	if resp, _ := b.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / after logout = %d, want 303 to /login", resp.StatusCode)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	e := newPortal(t)
	resp, err := e.app.Test(httptest.NewRequest("GET", "/login", nil))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range resp.Cookies() {
		if c.Name == "herald_session" {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("session cookie HttpOnly=%v SameSite=%v, want HttpOnly and Lax", c.HttpOnly, c.SameSite)
			}
			if c.Secure {
				t.Error("session cookie is Secure on an http public URL")
			}
		}
	}
	if !found {
		t.Fatal("GET /login set no herald_session cookie")
	}
}

func TestForgedOrExpiredSessionIsAnonymous(t *testing.T) {
	e := newPortal(t)
	b := e.browser()
	b.signIn("Ann Admin", "admin")
	good := b.cookies["herald_session"]

	tests := []struct {
		name    string
		cookie  string
		advance bool
	}{
		{"tampered", good[:len(good)-4] + "AAAA", false},
		{"expired", good, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.advance {
				e.clock.Advance(13 * 60 * 60 * 1e9)
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.AddCookie(&http.Cookie{Name: "herald_session", Value: tt.cookie})
			resp, _ := e.app.Test(req)
			if resp.StatusCode != http.StatusSeeOther {
				t.Errorf("GET / with %s session = %d, want 303 to sign-in", tt.name, resp.StatusCode)
			}
		})
	}
}

func TestUserWithoutRoleWaits(t *testing.T) {
	e := newPortal(t)
	e.exec(`INSERT INTO staff_users (email, name, role, provider) VALUES ('new@firm.test', 'New Person', NULL, 'oidc')`)
	b := e.browser()
	b.signIn("Ann Admin", "admin")
	// Sign in as the waiting user by giving them a session: the dev form
	// always sets a role, so use the store the way a provider sign-in does.
	u, err := e.ps.Users.SignIn(t.Context(), authIdentity("new@firm.test"), e.ps.Policy)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != "" {
		t.Fatalf("provider sign-in gave role %q, want none", u.Role)
	}
	w := e.browser()
	w.cookies["herald_session"] = sealSession(t, e, u.ID)
	resp, _ := w.get("/cases")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/waiting" {
		t.Fatalf("role-less GET /cases = %d → %q, want 303 → /waiting", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, doc := w.get("/waiting")
	if resp.StatusCode != http.StatusForbidden || doc.Find(`[data-testid="waiting"]`).Length() != 1 {
		t.Errorf("GET /waiting = %d, want 403 with the waiting page", resp.StatusCode)
	}
	if !strings.Contains(text(doc, "main"), "new@firm.test") {
		t.Error("waiting page does not say who is signed in")
	}
}
