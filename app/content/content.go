// Package content owns the message templates staff edit (message_templates)
// and their immutable versions (template_versions). Saving never changes a
// version: it adds one and moves the template's current version, so every
// message can name exactly the content it was rendered from.
package content

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/templates"
)

// Template is one template for one key, language and channel, with its
// current version.
type Template struct {
	ID          int64
	Key         string
	Language    string
	Channel     string
	Name        string
	Description string
	Current     Version
}

// Render returns the current version as a render.Template.
func (t Template) Render() render.Template {
	return render.Template{Channel: t.Channel, Language: t.Language, Subject: t.Current.Subject,
		HTML: t.Current.HTML, Text: t.Current.Text, SMS: t.Current.SMS}
}

// Version is one immutable version of a template.
type Version struct {
	ID         int64
	TemplateID int64
	Number     int
	Subject    string
	HTML       string
	Text       string
	SMS        string
	ChangeNote string
	CreatedBy  string
	CreatedAt  time.Time
}

// Family is a template key on one channel with its language variants.
type Family struct {
	Key      string
	Channel  string
	Name     string
	Variants []Template
}

// Store reads and versions templates.
type Store struct {
	db          *store.DB
	engine      *render.Engine
	clock       clock.Clock
	defaultLang string
}

// New returns the template store. defaultLang is the firm's default language,
// used when a client's language has no variant.
func New(db *store.DB, engine *render.Engine, clk clock.Clock, defaultLang string) *Store {
	return &Store{db: db, engine: engine, clock: clk, defaultLang: defaultLang}
}

// Seed loads the default templates (package templates) as version 1. A
// template whose key, language and channel already exist is left alone, so
// staff edits survive; it returns how many templates it added.
func Seed(ctx context.Context, db *store.DB) (int, error) {
	defs, err := templates.Defaults()
	if err != nil {
		return 0, err
	}
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	defer tx.Rollback(ctx)
	n := 0
	for _, d := range defs {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO message_templates (key, language, channel, name, description)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key, language, channel) DO NOTHING RETURNING id`,
			d.Key, d.Language, d.Channel, d.Name, d.Description).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("seed template %s.%s.%s: %w", d.Key, d.Language, d.Channel, err)
		}
		v := Version{TemplateID: id, Number: 1, Subject: d.Subject, HTML: d.HTML, Text: d.Text, SMS: d.SMS,
			ChangeNote: "default template", CreatedBy: "seed"}
		if _, err := insertVersion(ctx, tx, v, time.Now()); err != nil {
			return n, err
		}
		n++
	}
	return n, tx.Commit(ctx)
}

// Get returns a template with its current version.
func (s *Store) Get(ctx context.Context, id int64) (Template, error) {
	ts, err := s.query(ctx, `WHERE t.id = $1`, id)
	if err != nil {
		return Template{}, err
	}
	if len(ts) == 0 {
		return Template{}, fmt.Errorf("%w: template %d", derrors.NotFound, id)
	}
	return ts[0], nil
}

// List returns every template grouped by key and channel, variants ordered
// by language.
func (s *Store) List(ctx context.Context) ([]Family, error) {
	ts, err := s.query(ctx, ``)
	if err != nil {
		return nil, err
	}
	var out []Family
	for _, t := range ts {
		if n := len(out); n > 0 && out[n-1].Key == t.Key && out[n-1].Channel == t.Channel {
			out[n-1].Variants = append(out[n-1].Variants, t)
			continue
		}
		out = append(out, Family{Key: t.Key, Channel: t.Channel, Name: t.Name, Variants: []Template{t}})
	}
	return out, nil
}

// Current returns the template to send for key and channel in the client's
// language: render.ChooseLanguage picks among the variants, falling back to
// the firm's default language. No variant at all is derrors.NotFound.
func (s *Store) Current(ctx context.Context, key, language, channel string) (Template, error) {
	ts, err := s.query(ctx, `WHERE t.key = $1 AND t.channel = $2`, key, channel)
	if err != nil {
		return Template{}, err
	}
	return Pick(ts, key, language, channel, s.defaultLang)
}

// Pick chooses, among the language variants ts of template key on channel,
// the one to send in language (render.ChooseLanguage, falling back to the
// firm's default language). No variant at all is derrors.NotFound. Current
// uses it, and so does a caller that keeps the variants itself (the
// planner's snapshot).
func Pick(ts []Template, key, language, channel, firmDefault string) (Template, error) {
	langs := make([]string, len(ts))
	for i, t := range ts {
		langs[i] = t.Language
	}
	pick := render.ChooseLanguage(langs, language, firmDefault)
	for _, t := range ts {
		if t.Language == pick {
			return t, nil
		}
	}
	return Template{}, fmt.Errorf("%w: no %s template %q", derrors.NotFound, channel, key)
}

// History returns every version of a template, newest first.
func (s *Store) History(ctx context.Context, templateID int64) ([]Version, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT `+versionCols+` FROM template_versions v
		WHERE v.template_id = $1 ORDER BY v.version DESC`, templateID)
	if err != nil {
		return nil, fmt.Errorf("template history: %w", err)
	}
	vs, err := pgx.CollectRows(rows, scanVersion)
	if err != nil {
		return nil, fmt.Errorf("template history: %w", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: template %d", derrors.NotFound, templateID)
	}
	return vs, nil
}

const versionCols = `v.id, v.template_id, v.version, v.subject, v.body_html, v.body_text, v.body_sms, v.change_note, v.created_by, v.created_at`

func scanVersion(r pgx.CollectableRow) (Version, error) {
	var v Version
	err := r.Scan(&v.ID, &v.TemplateID, &v.Number, &v.Subject, &v.HTML, &v.Text, &v.SMS, &v.ChangeNote, &v.CreatedBy, &v.CreatedAt)
	return v, err
}

func (s *Store) query(ctx context.Context, where string, args ...any) ([]Template, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT t.id, t.key, t.language, t.channel, t.name, t.description, `+versionCols+`
		FROM message_templates t JOIN template_versions v ON v.id = t.current_version_id `+where+`
		ORDER BY t.key, t.channel, t.language`, args...)
	if err != nil {
		return nil, fmt.Errorf("%w: query templates: %w", derrors.Unavailable, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) {
		var t Template
		v := &t.Current
		err := r.Scan(&t.ID, &t.Key, &t.Language, &t.Channel, &t.Name, &t.Description,
			&v.ID, &v.TemplateID, &v.Number, &v.Subject, &v.HTML, &v.Text, &v.SMS, &v.ChangeNote, &v.CreatedBy, &v.CreatedAt)
		return t, err
	})
}

// insertVersion adds v and makes it the template's current version.
func insertVersion(ctx context.Context, tx pgx.Tx, v Version, now time.Time) (Version, error) {
	err := tx.QueryRow(ctx, `INSERT INTO template_versions (template_id, version, subject, body_html, body_text, body_sms, change_note, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at`,
		v.TemplateID, v.Number, v.Subject, v.HTML, v.Text, v.SMS, v.ChangeNote, v.CreatedBy, now).Scan(&v.ID, &v.CreatedAt)
	if err != nil {
		return Version{}, fmt.Errorf("insert template version: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE message_templates SET current_version_id = $1 WHERE id = $2`, v.ID, v.TemplateID); err != nil {
		return Version{}, fmt.Errorf("move current version: %w", err)
	}
	return v, nil
}
