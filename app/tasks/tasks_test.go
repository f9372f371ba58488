package tasks_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/app/tasks"
)

func TestCreateDedupesAndResolvesAssignee(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	var staffID int64
	if err := db.Pool.QueryRow(ctx, `INSERT INTO staff_users (email, name, role, cms_id) VALUES ('ann@firm.test', 'Ann Attorney', 'attorney', 'att-7') RETURNING id`).Scan(&staffID); err != nil {
		t.Fatal(err)
	}
	svc := tasks.New(db, clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)))
	nt := tasks.NewTask{DedupeKey: "evt:1:offer:task:0", Title: "Follow up with client on offer.", AssigneeCMSID: "att-7"}
	id1, created, err := svc.Create(ctx, nt)
	if err != nil || !created {
		t.Fatalf("Create = %d, %v, %v; want a new task", id1, created, err)
	}
	id2, created, err := svc.Create(ctx, nt)
	if err != nil || created || id2 != id1 {
		t.Fatalf("second Create = %d, %v, %v; want %d, false, nil", id2, created, err, id1)
	}
	if _, _, err := svc.Create(ctx, tasks.NewTask{Title: " "}); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Create without title error = %v, want InvalidArgument", err)
	}
	got, err := svc.List(ctx, tasks.Filter{Status: tasks.StatusOpen})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("List(open) = %d tasks, want 1", len(got))
	}
	if got[0].AssigneeStaffID == nil || *got[0].AssigneeStaffID != staffID || got[0].AssigneeName != "Ann Attorney" || got[0].Kind != tasks.KindFollowUp {
		t.Errorf("task = %+v, want follow_up assigned to staff %d Ann Attorney", got[0], staffID)
	}
}

func TestCompleteAndAssignAreAudited(t *testing.T) {
	db, _ := storetest.NewDB(t)
	ctx := context.Background()
	var para int64
	db.Pool.QueryRow(ctx, `INSERT INTO staff_users (email, name, role) VALUES ('pat@firm.test', 'Pat Paralegal', 'paralegal') RETURNING id`).Scan(&para)
	svc := tasks.New(db, clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)))
	id, _, err := svc.Create(ctx, tasks.NewTask{Title: "Call client", Kind: tasks.KindNotify})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Assign(ctx, id, para, "ann@firm.test"); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	if err := svc.Assign(ctx, id, 9999, "ann@firm.test"); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Assign to unknown staff error = %v, want InvalidArgument", err)
	}
	if err := svc.Complete(ctx, id, "pat@firm.test"); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := svc.Complete(ctx, id, "pat@firm.test"); err != nil {
		t.Fatalf("second Complete: %v", err)
	}
	if err := svc.Complete(ctx, 424242, "pat@firm.test"); !errors.Is(err, derrors.NotFound) {
		t.Errorf("Complete unknown task error = %v, want NotFound", err)
	}
	done, _ := svc.List(ctx, tasks.Filter{Status: tasks.StatusDone, AssigneeStaffID: para})
	if len(done) != 1 || done[0].CompletedBy != "pat@firm.test" || done[0].CompletedAt == nil {
		t.Fatalf("done tasks = %+v, want the task completed by pat", done)
	}
	var actions []string
	rows, _ := db.Pool.Query(ctx, `SELECT action FROM audit_log WHERE target_type = 'staff_task' ORDER BY id`)
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	if want := []string{"task.assign", "task.complete"}; len(actions) != 2 || actions[0] != want[0] || actions[1] != want[1] {
		t.Errorf("audit actions = %v, want %v (a no-op second completion is not audited)", actions, want)
	}
}
