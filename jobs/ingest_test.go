package jobs_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/heraldhq/herald/app/cases"
	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/config"
	"github.com/heraldhq/herald/jobs"
)

// TestIngestSurvivesRedisDown stores a webhook while Redis is unreachable,
// then shows the sweeper re-enqueues it into a real Redis and the event task
// processes it.
func TestIngestSurvivesRedisDown(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO sources (name, kind) VALUES ('generic', 'webhook')`); err != nil {
		t.Fatal(err)
	}
	if _, err := statuses.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.WebhookSecrets = map[string][]string{"generic": {"s3cret"}}
	clk := clock.NewFake(time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC))
	newService := func(enq ingest.Enqueuer) *ingest.Service {
		svc, err := ingest.New(db, cfg, clk, statuses.New(db, clk), cases.New(db, clk, cfg.Location()), ingest.Options{Enqueuer: enq})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}

	downClient := jobs.NewClient(asynq.RedisClientOpt{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	defer downClient.Close()
	body := []byte(`{"id":"evt_1","type":"case.updated","data":{"case_id":"C-1","client_id":"CL-1","current_attributes":{"status":"Retained"}}}`)
	res, err := newService(downClient).Accept(ctx, "generic", map[string]string{"Herald-Signature": ingest.Sign("s3cret", clk.Now(), body)}, body)
	if err != nil || res.Duplicate {
		t.Fatalf("Accept with Redis down = %+v, %v; want the event stored", res, err)
	}

	opt := redisOpt(t)
	client := jobs.NewClient(opt)
	defer client.Close()
	svc := newService(client)
	clk.Advance(10 * time.Second)
	if n, err := svc.Sweep(ctx); n != 1 || err != nil {
		t.Fatalf("Sweep = %d, %v; want the stored event re-enqueued", n, err)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	tasks, err := insp.ListPendingTasks(jobs.QueueIngest)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 || tasks[0].Type != jobs.TypeProcessEvent {
		t.Fatalf("pending ingest tasks = %d, want one %s", len(tasks), jobs.TypeProcessEvent)
	}
	// Sweeping again while the wake-up is queued adds nothing.
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if again, _ := insp.ListPendingTasks(jobs.QueueIngest); len(again) != 1 {
		t.Errorf("pending tasks after a second sweep = %d, want 1", len(again))
	}

	var logs bytes.Buffer
	handle := jobs.ProcessEvent(svc, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err := handle(ctx, asynq.NewTask(tasks[0].Type, tasks[0].Payload)); err != nil {
		t.Fatalf("event task: %v", err)
	}
	var status string
	var caseID *int64
	if err := db.Pool.QueryRow(ctx, `SELECT status, case_id FROM inbound_events WHERE id = $1`, res.EventID).Scan(&status, &caseID); err != nil {
		t.Fatal(err)
	}
	if status != "processed" || caseID == nil {
		t.Errorf("event after the task = %s case %v, want processed with a case", status, caseID)
	}
	for _, want := range []string{`"msg":"event processed"`, `"event_type":"case.updated"`, `"result":"processed"`, `"case_id":`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("task log %s lacks %s", logs.String(), want)
		}
	}
}

func TestProcessEventBadPayloadIsNotRetried(t *testing.T) {
	handle := jobs.ProcessEvent(nil, slog.New(slog.DiscardHandler))
	err := handle(context.Background(), asynq.NewTask(jobs.TypeProcessEvent, []byte(`{"id":0}`)))
	if err == nil || !strings.Contains(err.Error(), asynq.SkipRetry.Error()) {
		t.Errorf("bad payload = %v, want SkipRetry", err)
	}
}
