package command_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/command"
	"github.com/heraldhq/herald/app/store/storetest"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(ctx context.Context, env map[string]string, args ...string) result {
	var out, errb bytes.Buffer
	code := command.Run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func TestHelpListsEveryCommand(t *testing.T) {
	r := run(context.Background(), nil, "help")
	if r.code != 0 {
		t.Fatalf("herald help exit = %d", r.code)
	}
	for _, c := range []string{"serve", "work", "run", "migrate", "seed", "token", "normalize", "audit", "simulate", "clio"} {
		if !strings.Contains(r.stdout, "  "+c+" ") {
			t.Errorf("herald help lacks %q:\n%s", c, r.stdout)
		}
	}
	// Every listed command answers --help with its usage, exit 0, and
	// needs no database or Redis to do so.
	_, list, _ := strings.Cut(r.stdout, "Commands:\n")
	list, _, _ = strings.Cut(list, "\n\n")
	for _, line := range strings.Split(list, "\n") {
		c := strings.Fields(line)[0]
		h := run(context.Background(), nil, c, "--help")
		if h.code != 0 || !strings.Contains(h.stdout, "Usage: herald "+c) {
			t.Errorf("herald %s --help = %d %q, want usage", c, h.code, h.stdout)
		}
		if hh := run(context.Background(), nil, "help", c); hh.code != 0 || hh.stdout != h.stdout {
			t.Errorf("herald help %s = %d, want the same text as herald %s --help", c, hh.code, c)
		}
	}
	if r := run(context.Background(), nil, "fly"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "fly"`) {
		t.Errorf("unknown command = %d %q", r.code, r.stderr)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HERALD_ENV": "prod"}, "HERALD_SESSION_SECRET: required when HERALD_ENV=prod"},
		{map[string]string{"HERALD_FIRM_TIMEZONE": "Nowhere/City"}, "HERALD_FIRM_TIMEZONE"},
	}
	for _, tt := range tests {
		r := run(context.Background(), tt.env, "serve")
		if r.code == 0 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("serve with %v = exit %d, stderr %q; want non-zero naming %s", tt.env, r.code, r.stderr, tt.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestRunServesAndShutsDownOnSignal starts `herald run`, waits for /readyz,
// then cancels the context (what SIGTERM does) and expects a clean exit.
func TestRunServesAndShutsDownOnSignal(t *testing.T) {
	_, dsn := storetest.NewDB(t)
	redisURL, _ := storetest.Redis(t)
	addr := freeAddr(t)
	env := map[string]string{"HERALD_DATABASE_URL": dsn, "HERALD_REDIS_URL": redisURL, "HERALD_HTTP_ADDR": addr, "HERALD_SWEEP_INTERVAL": "1s"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- run(ctx, env, "run") }()
	url := fmt.Sprintf("http://%s/readyz", addr)
	var status int
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(url)
		if err == nil {
			status = resp.StatusCode
			resp.Body.Close()
			if status == 200 {
				break
			}
		}
	}
	if status != 200 {
		cancel()
		t.Fatalf("/readyz never answered 200 (last %d)", status)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("run exit = %d, stderr %s", r.code, r.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within the shutdown grace")
	}
	if _, err := http.Get(url); err == nil {
		t.Errorf("server still answering after shutdown")
	}
}

func TestTokenCreate(t *testing.T) {
	_, dsn := storetest.NewDB(t)
	env := map[string]string{"HERALD_DATABASE_URL": dsn}
	r := run(context.Background(), env, "token", "create", "--name", "clio-sync", "--role", "ops")
	if r.code != 0 {
		t.Fatalf("token create = %d: %s", r.code, r.stderr)
	}
	tok := strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(tok, "hrld_") || len(tok) < 40 {
		t.Errorf("token = %q, want hrld_ prefix and 32 random bytes", tok)
	}
	bad := run(context.Background(), env, "token", "create", "--name", "x", "--role", "intern")
	if bad.code == 0 || !strings.Contains(bad.stderr, `role: "intern" is not a role`) {
		t.Errorf("bad role = %d %q", bad.code, bad.stderr)
	}
}

func TestMigrateCommand(t *testing.T) {
	_, dsn := storetest.EmptyDB(t)
	env := map[string]string{"HERALD_DATABASE_URL": dsn}
	for _, step := range []string{"up", "down", "up"} {
		if r := run(context.Background(), env, "migrate", step); r.code != 0 {
			t.Fatalf("migrate %s = %d: %s", step, r.code, r.stderr)
		}
	}
	r := run(context.Background(), env, "migrate", "status")
	if r.code != 0 || strings.Contains(r.stdout, " pending\n") {
		t.Errorf("migrate status = %d\n%s", r.code, r.stdout)
	}
	if r := run(context.Background(), env, "migrate"); r.code != 2 || !strings.Contains(r.stdout, "Usage: herald migrate up|down|status|reset") {
		t.Errorf("migrate without an argument = %d %q, want 2 with the usage", r.code, r.stdout)
	}
	for _, bad := range [][]string{{"sideways"}, {"up", "down"}} {
		r := run(context.Background(), nil, append([]string{"migrate"}, bad...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "is not a migrate command; use up, down, status or reset") {
			t.Errorf("migrate %v = %d %q, want 2 naming the valid commands (before touching the database)", bad, r.code, r.stderr)
		}
	}
}
