package web

import (
	"context"

	"github.com/heraldhq/herald/app/auth"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/portal"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/tasks"
)

// PortalServices is what the staff portal needs besides the services it
// shares with the API (Services.Pauses, Timeline, DeadLetters,
// DeadLetterRetrier). Users, Sessions and Read are required; every other
// field may be nil, and then its actions are neither routed nor shown.
type PortalServices struct {
	Users     *auth.Users
	Sessions  *auth.Sessions
	Providers *auth.Providers
	Policy    auth.Policy
	// DevLogin enables the development sign-in form (config refuses it in prod).
	DevLogin bool
	Read     *portal.Reader
	Firm     portal.FirmVars

	Templates TemplateStore
	Preview   *render.Engine
	Statuses  StatusMapper
	Tasks     TaskBoard
	Approvals Approver
	// Replies sends staff replies from the conversation view and marks
	// client texts read (engagement.Service); nil hides the reply box.
	Replies Replier
	// Held releases, sends now or cancels held messages (delivery.Service);
	// nil shows the held list without actions.
	Held HeldActions
	// Rules edits rules (rules.Editor); nil shows them read-only.
	Rules RuleEditor
	// Settings reads and saves the firm settings (settings.Store); nil
	// hides the Settings screen and uses Firm and the configuration.
	Settings SettingsStore
}

// TemplateStore lists, versions and rolls back message templates
// (content.Store).
type TemplateStore interface {
	List(ctx context.Context) ([]content.Family, error)
	Get(ctx context.Context, id int64) (content.Template, error)
	History(ctx context.Context, templateID int64) ([]content.Version, error)
	Save(ctx context.Context, templateID int64, d content.TemplateDraft, actor string) (content.Version, []render.Problem, error)
	Rollback(ctx context.Context, templateID int64, version int, actor string) (content.Version, error)
}

// StatusMapper maps a raw CMS status to a canonical one (statuses.Service).
type StatusMapper interface {
	AddAlias(ctx context.Context, raw, statusKey, actor string) error
}

// TaskBoard lists, assigns and completes staff tasks (tasks.Service).
type TaskBoard interface {
	List(ctx context.Context, f tasks.Filter) ([]tasks.Task, error)
	Assign(ctx context.Context, id, staffID int64, actor string) error
	Complete(ctx context.Context, id int64, actor string) error
}

// Approver approves or discards messages awaiting an attorney
// (rules.Planner).
type Approver interface {
	Approve(ctx context.Context, messageID int64, attorney string) error
	Discard(ctx context.Context, messageID int64, attorney, note string) error
}
