// Package tasks owns staff_tasks: follow-ups and notifications for the
// firm's staff that rules, delivery and people create. A task created with a
// dedupe key exists once, however often its creator runs.
package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store"
)

// Task kinds used by Herald; staff may see others created by later features.
const (
	KindFollowUp = "follow_up"
	KindNotify   = "notify"
)

// Task statuses.
const (
	StatusOpen = "open"
	StatusDone = "done"
)

// DBTX is what Create needs: a pgx transaction or pool.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// NewTask is a task to create.
type NewTask struct {
	// DedupeKey makes creation idempotent ("evt:12:settlement_offer:task:0");
	// empty means every call creates a task.
	DedupeKey string
	Kind      string // follow_up when empty
	Title     string
	Body      string
	CaseID    *int64
	ClientID  *int64
	MessageID *int64
	// AssigneeCMSID is the CMS id of the attorney or paralegal; the staff
	// user with that cms_id, when there is one, becomes the assignee.
	AssigneeCMSID   string
	AssigneeStaffID *int64
	DueAt           *time.Time
}

// Task is a stored task.
type Task struct {
	ID              int64
	DedupeKey       string
	Kind            string
	Title           string
	Body            string
	CaseID          *int64
	ClientID        *int64
	MessageID       *int64
	AssigneeStaffID *int64
	AssigneeCMSID   string
	AssigneeName    string
	Status          string
	DueAt           *time.Time
	CreatedAt       time.Time
	CompletedAt     *time.Time
	CompletedBy     string
}

// Create adds t through q (a transaction, so a task commits with whatever
// caused it). A duplicate dedupe key is not an error: it returns the
// existing task's id with created=false.
func Create(ctx context.Context, q DBTX, t NewTask) (id int64, created bool, err error) {
	if strings.TrimSpace(t.Title) == "" {
		return 0, false, derrors.Invalid("title", "is empty", "say what staff should do")
	}
	if t.Kind == "" {
		t.Kind = KindFollowUp
	}
	var key, cms *string
	if t.DedupeKey != "" {
		key = &t.DedupeKey
	}
	if t.AssigneeCMSID != "" {
		cms = &t.AssigneeCMSID
	}
	err = q.QueryRow(ctx, `
		INSERT INTO staff_tasks (dedupe_key, kind, title, body, case_id, client_id, message_id,
		                         assignee_staff_id, assignee_cms_id, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7,
		        COALESCE($8, (SELECT id FROM staff_users WHERE cms_id = $9 AND active)), $9, $10)
		ON CONFLICT (dedupe_key) DO NOTHING
		RETURNING id`,
		key, t.Kind, t.Title, t.Body, t.CaseID, t.ClientID, t.MessageID, t.AssigneeStaffID, cms, t.DueAt).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) || key == nil {
		return 0, false, fmt.Errorf("create task: %w", err)
	}
	if err := q.QueryRow(ctx, `SELECT id FROM staff_tasks WHERE dedupe_key = $1`, *key).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("find task %s: %w", *key, err)
	}
	return id, false, nil
}

// Service lists and updates tasks for the portal and API.
type Service struct {
	db    *store.DB
	clock clock.Clock
}

// New returns the task service.
func New(db *store.DB, clk clock.Clock) *Service { return &Service{db: db, clock: clk} }

// Create adds a task outside any other transaction.
func (s *Service) Create(ctx context.Context, t NewTask) (int64, bool, error) {
	return Create(ctx, s.db.Pool, t)
}

// Filter narrows List; zero values match everything.
type Filter struct {
	Status          string
	AssigneeStaffID int64
	CaseID          int64
	Limit           int
}

// List returns tasks, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Task, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.db.Pool.Query(ctx, `
		SELECT t.id, COALESCE(t.dedupe_key, ''), t.kind, t.title, t.body, t.case_id, t.client_id, t.message_id,
		       t.assignee_staff_id, COALESCE(t.assignee_cms_id, ''), COALESCE(u.name, ''), t.status, t.due_at,
		       t.created_at, t.completed_at, COALESCE(t.completed_by, '')
		FROM staff_tasks t LEFT JOIN staff_users u ON u.id = t.assignee_staff_id
		WHERE ($1 = '' OR t.status = $1) AND ($2 = 0 OR t.assignee_staff_id = $2) AND ($3 = 0 OR t.case_id = $3)
		ORDER BY t.created_at DESC, t.id DESC LIMIT $4`, f.Status, f.AssigneeStaffID, f.CaseID, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Task, error) {
		var t Task
		err := r.Scan(&t.ID, &t.DedupeKey, &t.Kind, &t.Title, &t.Body, &t.CaseID, &t.ClientID, &t.MessageID,
			&t.AssigneeStaffID, &t.AssigneeCMSID, &t.AssigneeName, &t.Status, &t.DueAt, &t.CreatedAt, &t.CompletedAt, &t.CompletedBy)
		return t, err
	})
}

// Complete marks an open task done; completing a done task is a no-op.
func (s *Service) Complete(ctx context.Context, id int64, actor string) error {
	return s.update(ctx, id, actor, "task.complete", nil,
		`UPDATE staff_tasks SET status = 'done', completed_at = $2, completed_by = $3 WHERE id = $1 AND status = 'open'`,
		id, s.clock.Now(), actor)
}

// Assign gives the task to a staff user.
func (s *Service) Assign(ctx context.Context, id, staffID int64, actor string) error {
	var exists bool
	if err := s.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_users WHERE id = $1 AND active)`, staffID).Scan(&exists); err != nil {
		return fmt.Errorf("find staff user: %w", err)
	}
	if !exists {
		return derrors.Invalid("assignee", fmt.Sprintf("staff user %d does not exist or is inactive", staffID), "pick an active staff user")
	}
	return s.update(ctx, id, actor, "task.assign", map[string]any{"assignee_staff_id": staffID},
		`UPDATE staff_tasks SET assignee_staff_id = $2 WHERE id = $1`, id, staffID)
}

func (s *Service) update(ctx context.Context, id int64, actor, action string, details map[string]any, sql string, args ...any) error {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM staff_tasks WHERE id = $1)`, id).Scan(&exists); err != nil {
		return fmt.Errorf("find task: %w", err)
	}
	if !exists {
		return fmt.Errorf("%w: task %d", derrors.NotFound, id)
	}
	tag, err := tx.Exec(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if tag.RowsAffected() == 0 {
		return tx.Commit(ctx)
	}
	if details == nil {
		details = map[string]any{}
	}
	b, _ := json.Marshal(details)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, details, created_at)
		VALUES ($1, $2, 'staff_task', $3, $4, $5)`, actor, action, fmt.Sprint(id), b, s.clock.Now()); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return tx.Commit(ctx)
}
