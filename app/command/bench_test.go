package command_test

import (
	"context"
	"strings"
	"testing"
)

func TestBenchHelpListsScenariosAndFlags(t *testing.T) {
	r := run(context.Background(), nil, "help")
	if !strings.Contains(r.stdout, "  bench ") {
		t.Errorf("herald help lacks bench:\n%s", r.stdout)
	}
	h := run(context.Background(), nil, "bench", "--help")
	if h.code != 0 {
		t.Fatalf("herald bench --help exit = %d, stderr %q", h.code, h.stderr)
	}
	for _, s := range []string{"Usage: herald bench SCENARIO", "ingest ", "ingest-latency", "deliver", "e2e", "drain", "sweep", "all",
		"-json", "-duration", "-rate", "-concurrency", "-workers", "-messages", "-rounds", "-quick", "-cpuprofile", "-in-process"} {
		if !strings.Contains(h.stdout, s) {
			t.Errorf("herald bench --help lacks %q:\n%s", s, h.stdout)
		}
	}
}

func TestBenchRefusesBadArguments(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench"}, 2, "name one scenario"},
		{[]string{"bench", "ingest", "deliver"}, 2, "name one scenario"},
		{[]string{"bench", "warp", "--quick"}, 1, `unknown scenario "warp"`},
		{[]string{"bench", "--quick", "warp"}, 1, `unknown scenario "warp"`},
		{[]string{"bench", "ingest", "--rate", "-5"}, 1, "--rate must not be negative"},
	}
	for _, tt := range tests {
		r := run(context.Background(), nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("herald %v = exit %d, stderr %q; want exit %d naming %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}
