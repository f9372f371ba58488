package jobs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/heraldhq/herald/jobs"
)

// TestEnqueueWakesPastATaskThatWillNotRun: a wake-up whose id is held by a
// queued task is not doubled, but one held by a task that will never run
// again (archived here; left active by a worker that lost Redis in the chaos
// suite) is enqueued under a fresh id instead of being refused for good.
func TestEnqueueWakesPastATaskThatWillNotRun(t *testing.T) {
	opt := redisOpt(t)
	ctx := context.Background()
	client := jobs.NewClient(opt)
	defer client.Close()
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	pending := func() []string {
		t.Helper()
		ts, err := insp.ListPendingTasks(jobs.QueueIngest)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, x := range ts {
			ids = append(ids, x.ID)
		}
		return ids
	}

	for range 2 {
		if err := client.EnqueueEvent(ctx, 7); err != nil {
			t.Fatal(err)
		}
	}
	if got := pending(); len(got) != 1 || got[0] != "event:7" {
		t.Fatalf("pending after two wake-ups of a queued task = %v, want just event:7", got)
	}
	if err := insp.ArchiveTask(jobs.QueueIngest, "event:7"); err != nil {
		t.Fatal(err)
	}
	if err := client.EnqueueEvent(ctx, 7); err != nil {
		t.Fatal(err)
	}
	got := pending()
	if len(got) != 1 || !strings.HasPrefix(got[0], "event:7:w") {
		t.Fatalf("pending after waking an event whose task was archived = %v, want one fresh event:7:w… task", got)
	}
}
