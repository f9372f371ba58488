package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald/jobs"
)

type countingSweeper struct{ calls []string }

func (c *countingSweeper) ReconcileSent(context.Context) (int, error) { return c.call("reconcile", 1) }
func (c *countingSweeper) Escalate(context.Context) (int, error)      { return c.call("escalate", 2) }
func (c *countingSweeper) Collect(context.Context) (int, error)       { return c.call("collect", 3) }
func (c *countingSweeper) Push(context.Context) (int, error)          { return c.call("push", 4) }

func (c *countingSweeper) call(name string, n int) (int, error) {
	c.calls = append(c.calls, name)
	return n, nil
}

func TestEngagementSweeps(t *testing.T) {
	tests := []struct {
		name      string
		writeback bool
		wantNames string
		wantCalls string
	}{
		{"with write-back", true, "[engagement-reconcile-sent engagement-escalate writeback-collect writeback-push]", "[reconcile escalate collect push]"},
		{"without write-back", false, "[engagement-reconcile-sent engagement-escalate]", "[reconcile escalate]"},
	}
	for _, tt := range tests {
		s := &countingSweeper{}
		var w jobs.WritebackSweeper
		if tt.writeback {
			w = s
		}
		sweeps := jobs.EngagementSweeps(s, w, 15*time.Second)
		var names []string
		for _, sw := range sweeps {
			names = append(names, sw.Name)
			if sw.Every != 15*time.Second {
				t.Errorf("%s: %s every %s, want 15s", tt.name, sw.Name, sw.Every)
			}
			if _, err := sw.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if got := fmt.Sprint(names); got != tt.wantNames {
			t.Errorf("%s: sweeps %s, want %s", tt.name, got, tt.wantNames)
		}
		if got := fmt.Sprint(s.calls); got != tt.wantCalls {
			t.Errorf("%s: calls %s, want %s", tt.name, got, tt.wantCalls)
		}
	}
}
