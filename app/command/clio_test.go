package command_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clio/cliotest"
	"github.com/heraldhq/herald/app/store/storetest"
)

// TestClioWebhookCommands registers, lists and reseals Clio webhooks against
// the fake Clio API, as a firm would without curl.
func TestClioWebhookCommands(t *testing.T) {
	db, dsn := storetest.NewDB(t)
	fake := cliotest.New(t, "clio-tok", time.Now)
	env := map[string]string{"HERALD_DATABASE_URL": dsn, "CLIO_BASE_URL": fake.URL, "CLIO_ACCESS_TOKEN": "clio-tok",
		"HERALD_PUBLIC_URL": "https://herald.example-law.com"}
	ctx := context.Background()

	r := run(ctx, env, "clio", "webhook", "register", "--events", "updated,deleted")
	if r.code != 0 || !strings.Contains(r.stdout, "registered Clio webhook 1001: matter updated,deleted → https://herald.example-law.com/webhooks/cms/clio") {
		t.Fatalf("register = %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	wh, ok := fake.Webhook(1001)
	if !ok || wh.URL != "https://herald.example-law.com/webhooks/cms/clio" || strings.Join(wh.Events, ",") != "updated,deleted" || wh.Model != "matter" {
		t.Fatalf("webhook in Clio = %+v, %v", wh, ok)
	}
	var sealed, status string
	if err := db.Pool.QueryRow(ctx, `SELECT secret_sealed, status FROM clio_webhooks WHERE clio_webhook_id = 1001`).Scan(&sealed, &status); err != nil {
		t.Fatal(err)
	}
	if status != "pending" || !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, wh.SharedSecret) {
		t.Errorf("stored row status %q secret %q; want pending and sealed", status, sealed)
	}
	if strings.Contains(r.stdout+r.stderr, wh.SharedSecret) {
		t.Errorf("register printed the webhook secret")
	}

	// One webhook made in Clio by hand: listed, but Herald has no secret.
	fake.AddWebhook(cliotest.Webhook{Model: "contact", Status: "enabled", URL: "https://elsewhere.example/hook", ExpiresAt: time.Now().Add(time.Hour)})
	l := run(ctx, env, "clio", "webhook", "list")
	if l.code != 0 {
		t.Fatalf("list = %d: %s", l.code, l.stderr)
	}
	lines := strings.Split(strings.TrimSpace(l.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") ||
		!strings.Contains(lines[1], "1001") || !strings.Contains(lines[1], "pending") ||
		!strings.Contains(lines[2], "1002") || !strings.Contains(lines[2], " - ") {
		t.Errorf("list =\n%s\nwant a header, 1001 pending in Herald, 1002 unknown to Herald", l.stdout)
	}
	j := run(ctx, env, "clio", "webhook", "list", "--json")
	var rows []struct {
		ID     int64  `json:"id"`
		Herald string `json:"herald_status"`
		InClio bool   `json:"in_clio"`
	}
	if err := json.Unmarshal([]byte(j.stdout), &rows); err != nil || len(rows) != 2 || rows[0].Herald != "pending" || !rows[1].InClio || rows[1].Herald != "" {
		t.Errorf("list --json = %s (%v)", j.stdout, err)
	}
	if strings.Contains(l.stdout+j.stdout, wh.SharedSecret) {
		t.Errorf("list printed a webhook secret")
	}

	// Rotation: a new key first, the dev key after it.
	rot := map[string]string{"HERALD_DATA_KEY": "rotated-key-0123456789abcdef0123456789," + "herald-development-data-key-not-a-secret"}
	for k, v := range env {
		rot[k] = v
	}
	if rs := run(ctx, rot, "clio", "webhook", "reseal"); rs.code != 0 || !strings.Contains(rs.stdout, "resealed 1 Clio webhook secret(s)") {
		t.Errorf("reseal = %d %q %q", rs.code, rs.stdout, rs.stderr)
	}

	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no token", map[string]string{"HERALD_DATABASE_URL": dsn}, []string{"webhook", "register", "--url", "https://h.example/webhooks/cms/clio"}, 1, "CLIO_ACCESS_TOKEN is not set"},
		{"bad event", env, []string{"webhook", "register", "--events", "updated,archived"}, 2, `"archived" is not a Clio matter event`},
		{"bad url", env, []string{"webhook", "register", "--url", "herald.example"}, 1, "--url: \"herald.example\" is not an absolute http(s) URL"},
		{"unknown action", env, []string{"webhook", "delete"}, 2, `"delete" is not a webhook command`},
		{"no action", env, []string{}, 2, ""},
	}
	for _, tt := range tests {
		r := run(ctx, tt.env, append([]string{"clio"}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%s: herald clio %v = %d %q, want %d containing %q", tt.name, tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
	if n := len(fake.Requests()); n == 0 {
		t.Fatal("fake Clio saw no requests")
	}
}
