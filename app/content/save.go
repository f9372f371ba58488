package content

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/store"
)

// TemplateDraft is what staff submit in the editor.
type TemplateDraft struct {
	Subject    string
	HTML       string
	Text       string
	SMS        string
	ChangeNote string
}

// Save lints the draft and, when it has no errors, stores it as a new
// version and makes it current. Lint errors are refused as derrors.Fields,
// one per problem, naming the part and the line and column; warnings are
// returned alongside the saved version for the editor to show.
func (s *Store) Save(ctx context.Context, templateID int64, d TemplateDraft, actor string) (Version, []render.Problem, error) {
	if strings.TrimSpace(actor) == "" {
		return Version{}, nil, derrors.Invalid("actor", "is empty", "say who saves")
	}
	tx, t, err := s.lockTemplate(ctx, templateID)
	if err != nil {
		return Version{}, nil, err
	}
	defer tx.Rollback(ctx)
	rt := render.Template{Channel: t.Channel, Language: t.Language, Subject: d.Subject, HTML: d.HTML, Text: d.Text, SMS: d.SMS}
	if t.Channel == render.ChannelSMS {
		rt.Subject, rt.HTML, rt.Text = "", "", ""
	} else {
		rt.SMS = ""
	}
	var errs derrors.Fields
	var warnings []render.Problem
	for _, p := range s.engine.Lint(rt) {
		if p.Severity != render.SeverityError {
			warnings = append(warnings, p)
			continue
		}
		errs = append(errs, lintError(p))
	}
	if err := errs.Err(); err != nil {
		return Version{}, warnings, err
	}
	v := Version{TemplateID: templateID, Number: t.Current.Number + 1, Subject: rt.Subject, HTML: rt.HTML, Text: rt.Text,
		SMS: rt.SMS, ChangeNote: strings.TrimSpace(d.ChangeNote), CreatedBy: actor}
	v, err = s.commitVersion(ctx, tx, v, "template.save", map[string]any{"version": v.Number, "from_version": t.Current.Number})
	return v, warnings, err
}

// Rollback makes an old version current again by copying it into a new
// version (history is never rewritten).
func (s *Store) Rollback(ctx context.Context, templateID int64, version int, actor string) (Version, error) {
	if strings.TrimSpace(actor) == "" {
		return Version{}, derrors.Invalid("actor", "is empty", "say who rolls back")
	}
	tx, t, err := s.lockTemplate(ctx, templateID)
	if err != nil {
		return Version{}, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT `+versionCols+` FROM template_versions v WHERE v.template_id = $1 AND v.version = $2`, templateID, version)
	if err != nil {
		return Version{}, fmt.Errorf("read version: %w", err)
	}
	old, err := pgx.CollectExactlyOneRow(rows, scanVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return Version{}, derrors.Invalid("version", fmt.Sprintf("template %d has no version %d", templateID, version), "pick a version from the history")
	}
	if err != nil {
		return Version{}, fmt.Errorf("read version: %w", err)
	}
	v := old
	v.Number = t.Current.Number + 1
	v.ChangeNote = fmt.Sprintf("rollback to version %d", version)
	v.CreatedBy = actor
	return s.commitVersion(ctx, tx, v, "template.rollback", map[string]any{"version": v.Number, "restored_version": version, "from_version": t.Current.Number})
}

// lockTemplate begins a transaction holding the template row, so two saves
// cannot pick the same version number.
func (s *Store) lockTemplate(ctx context.Context, id int64) (pgx.Tx, Template, error) {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return nil, Template{}, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	var t Template
	err = tx.QueryRow(ctx, `SELECT t.id, t.key, t.language, t.channel, COALESCE((SELECT max(version) FROM template_versions WHERE template_id = t.id), 0)
		FROM message_templates t WHERE t.id = $1 FOR UPDATE`, id).Scan(&t.ID, &t.Key, &t.Language, &t.Channel, &t.Current.Number)
	if errors.Is(err, pgx.ErrNoRows) {
		tx.Rollback(ctx)
		return nil, Template{}, fmt.Errorf("%w: template %d", derrors.NotFound, id)
	}
	if err != nil {
		tx.Rollback(ctx)
		return nil, Template{}, fmt.Errorf("lock template: %w", err)
	}
	return tx, t, nil
}

func (s *Store) commitVersion(ctx context.Context, tx pgx.Tx, v Version, action string, details map[string]any) (Version, error) {
	now := s.clock.Now()
	v, err := insertVersion(ctx, tx, v, now)
	if err != nil {
		return Version{}, err
	}
	b, _ := json.Marshal(details)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (actor, action, target_type, target_id, reason, details, created_at)
		VALUES ($1, $2, 'message_template', $3, $4, $5, $6)`, v.CreatedBy, action, fmt.Sprint(v.TemplateID), v.ChangeNote, b, now); err != nil {
		return Version{}, fmt.Errorf("audit %s: %w", action, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return Version{}, fmt.Errorf("commit template version: %w", err)
	}
	return v, nil
}

// lintError turns a lint error into a field error naming where it is.
func lintError(p render.Problem) *derrors.FieldError {
	field := p.Part
	if field == "" {
		field = "template"
	}
	problem := p.Message
	if p.Line > 0 {
		problem = fmt.Sprintf("line %d, column %d: %s", p.Line, p.Column, p.Message)
	}
	return &derrors.FieldError{Field: field, Problem: problem,
		Fix: "correct the template; variables are listed in the editor and unknown ones are never sent blank"}
}
