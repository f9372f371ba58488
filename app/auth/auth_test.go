package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store/storetest"
)

func TestPolicyAllows(t *testing.T) {
	p := auth.Policy{AllowedDomains: []string{"firm.test", "@other.test"}, AllowedEmails: []string{"Consultant@gmail.com"}}
	tests := []struct {
		email string
		want  bool
	}{
		{"ana@firm.test", true},
		{"ANA@FIRM.TEST", true},
		{"bob@other.test", true},
		{"consultant@gmail.com", true},
		{"someone@gmail.com", false},
		{"ana@firm.test.evil.com", false},
		{"ana@sub.firm.test", false},
		{"not-an-email", false},
		{"@firm.test", false},
	}
	for _, tt := range tests {
		if got := p.Allows(tt.email); got != tt.want {
			t.Errorf("Allows(%q) = %v, want %v", tt.email, got, tt.want)
		}
	}
	if !(auth.Policy{}).Allows("x@y.test") {
		t.Error("an empty allowlist (dev) refuses a valid address")
	}
}

func TestRolePermissions(t *testing.T) {
	tests := []struct {
		role string
		perm auth.Permission
		want bool
	}{
		{auth.RoleAdmin, auth.PermUsers, true},
		{auth.RoleAttorney, auth.PermPause, true},
		{auth.RoleAttorney, auth.PermApprovals, true},
		{auth.RoleAttorney, auth.PermEditTemplates, false},
		{auth.RoleParalegal, auth.PermEditTemplates, true},
		{auth.RoleParalegal, auth.PermPause, false},
		{auth.RoleParalegal, auth.PermDeadLetters, true},
		{auth.RoleOps, auth.PermQueues, true},
		{auth.RoleOps, auth.PermDataHealth, true},
		{auth.RoleOps, auth.PermTasks, false},
		{"", auth.PermDashboard, false},
		{auth.RoleOps, auth.Permission("unknown"), false},
	}
	for _, tt := range tests {
		if got := auth.Can(tt.role, tt.perm); got != tt.want {
			t.Errorf("Can(%q, %s) = %v, want %v", tt.role, tt.perm, got, tt.want)
		}
	}
}

func TestSessionsSealAndExpire(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s := auth.NewSessions("0123456789abcdef0123456789abcdef", time.Hour, true, clk)
	sess := s.New(42)
	v, err := s.Encode(auth.SessionCookie, sess)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Open(v)
	if err != nil || got.UserID != 42 || !got.ValidCSRF(sess.CSRF) || got.ValidCSRF("") || got.ValidCSRF(sess.CSRF+"x") {
		t.Fatalf("Open = %+v, %v; want user 42 with its CSRF token", got, err)
	}
	other := auth.NewSessions("another-secret-another-secret-another", time.Hour, true, clk)
	if _, err := other.Open(v); !errors.Is(err, derrors.Unauthorized) {
		t.Errorf("a cookie sealed with another secret opened: %v", err)
	}
	if _, err := s.Open(v[:len(v)-2] + "xx"); !errors.Is(err, derrors.Unauthorized) {
		t.Errorf("a tampered cookie opened: %v", err)
	}
	clk.Advance(time.Hour)
	if _, err := s.Open(v); !errors.Is(err, derrors.Unauthorized) {
		t.Errorf("an expired session opened: %v", err)
	}
	if s.New(1).CSRF == s.New(1).CSRF {
		t.Error("two sessions share a CSRF token")
	}
}

func TestUsersSignInAndUpdate(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	users := auth.NewUsers(db, clk)
	policy := auth.Policy{AllowedDomains: []string{"firm.test"}}

	if _, err := users.SignIn(ctx, auth.Identity{Provider: "google", Email: "eve@evil.test"}, policy); !errors.Is(err, auth.ErrNotAllowed) {
		t.Errorf("outsider sign-in error = %v, want ErrNotAllowed", err)
	}
	waiting, err := users.SignIn(ctx, auth.Identity{Provider: "google", Email: "New@Firm.test", Name: "New"}, policy)
	if err != nil || waiting.Role != "" || waiting.Email != "new@firm.test" {
		t.Fatalf("first sign-in without a default role = %+v, %v; want a role-less user", waiting, err)
	}
	admin, err := users.SignIn(ctx, auth.Identity{Provider: "dev", Email: "ann@firm.test", Name: "Ann", Role: auth.RoleAdmin}, policy)
	if err != nil || admin.Role != auth.RoleAdmin {
		t.Fatalf("dev sign-in as admin = %+v, %v", admin, err)
	}
	if _, err := users.Update(ctx, auth.Actor{Name: "Ann"}, admin.ID, waiting.ID, auth.RoleParalegal, true); err != nil {
		t.Fatal(err)
	}
	again, err := users.SignIn(ctx, auth.Identity{Provider: "google", Email: "new@firm.test"}, auth.Policy{AllowedDomains: []string{"firm.test"}, DefaultRole: auth.RoleOps})
	if err != nil || again.Role != auth.RoleParalegal {
		t.Errorf("provider sign-in changed the assigned role: %+v, %v", again, err)
	}
	if _, err := users.Update(ctx, auth.Actor{Name: "Ann"}, admin.ID, admin.ID, auth.RoleOps, true); !errors.Is(err, derrors.Conflict) {
		t.Errorf("self-demotion error = %v, want Conflict", err)
	}
	if _, err := users.Update(ctx, auth.Actor{Name: "Ann"}, admin.ID, waiting.ID, auth.RoleParalegal, false); err != nil {
		t.Fatal(err)
	}
	if _, err := users.SignIn(ctx, auth.Identity{Provider: "google", Email: "new@firm.test"}, policy); !errors.Is(err, auth.ErrDisabled) {
		t.Errorf("disabled user sign-in error = %v, want ErrDisabled", err)
	}
}
