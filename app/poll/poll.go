// Package poll is Herald's adapter for a CMS with no webhooks: on a
// schedule it fetches the records changed since a stored cursor from the
// REST endpoint a source mapping's poll block describes, follows its pages,
// and stores each record through the ingest path as a verified event whose
// id is "<record id>@<updated_at>", so a re-poll dedupes. The cursor
// (sources.poll_cursor, the greatest updated_at seen) advances only after
// every record fetched has been committed.
package poll

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/config"
)

// maxPages bounds one poll, so a CMS whose next link loops cannot hold a
// worker forever.
const maxPages = 1000

// Recorder stores a fetched record as a verified event
// (ingest.Service.RecordAs).
type Recorder interface {
	RecordAs(ctx context.Context, source, eventID string, body []byte) (ingest.Result, error)
}

// Poller polls the CMS sources of kind poll.
type Poller struct {
	db      *store.DB
	rec     Recorder
	clock   clock.Clock
	getenv  func(string) string
	http    *http.Client
	sources []normalize.Source
}

// New builds a Poller over the poll sources among sources (others are
// ignored). getenv reads each source's token variable (secret_env); a
// source whose variable is unset is not polled. httpClient nil uses one
// with a 30s timeout.
func New(db *store.DB, rec Recorder, clk clock.Clock, getenv func(string) string, sources []normalize.Source,
	httpClient *http.Client) *Poller {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 30 * time.Second}
	}
	p := &Poller{db: db, rec: rec, clock: clk, getenv: getenv, http: httpClient}
	for _, s := range sources {
		if s.Kind == normalize.KindPoll && s.Poll != nil {
			p.sources = append(p.sources, s)
		}
	}
	return p
}

// Stats is what one poll of one source did.
type Stats struct {
	Pages      int
	Records    int
	New        int
	Duplicates int
	// Cursor is the cursor after the poll (unchanged on failure).
	Cursor string
}

// Due polls every enabled source whose interval has passed since it was
// last polled, and returns how many new events were stored. A source's
// failure does not stop the others; the errors are joined.
func (p *Poller) Due(ctx context.Context) (int, error) {
	total := 0
	var errs []error
	for _, src := range p.sources {
		if src.SecretEnv != "" && p.getenv(src.SecretEnv) == "" {
			continue // not enabled on this installation
		}
		cursor, ok, err := p.claim(ctx, src)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !ok {
			continue
		}
		st, err := p.poll(ctx, src, cursor)
		total += st.New
		if err != nil {
			errs = append(errs, fmt.Errorf("poll %s: %w", src.Name, err))
		}
	}
	return total, errors.Join(errs...)
}

// Poll polls one source now, whatever its schedule.
func (p *Poller) Poll(ctx context.Context, name string) (Stats, error) {
	for _, src := range p.sources {
		if src.Name != name {
			continue
		}
		var cursor *string
		err := p.db.Pool.QueryRow(ctx, `UPDATE sources SET polled_at = $2 WHERE name = $1 RETURNING poll_cursor`,
			name, p.clock.Now()).Scan(&cursor)
		if errors.Is(err, pgx.ErrNoRows) {
			return Stats{}, fmt.Errorf("%w: source %q is not registered in the database; run `herald seed`", derrors.NotFound, name)
		}
		if err != nil {
			return Stats{}, fmt.Errorf("%w: read poll cursor: %w", derrors.Unavailable, err)
		}
		return p.poll(ctx, src, deref(cursor))
	}
	return Stats{}, fmt.Errorf("%w: no poll source named %q", derrors.NotFound, name)
}

// claim marks src polled now if its interval has passed, atomically, so
// two workers do not poll the same source at once. It returns the cursor.
func (p *Poller) claim(ctx context.Context, src normalize.Source) (string, bool, error) {
	now := p.clock.Now()
	var cursor *string
	err := p.db.Pool.QueryRow(ctx, `UPDATE sources SET polled_at = $2
		WHERE name = $1 AND kind = 'poll' AND (polled_at IS NULL OR polled_at <= $3) RETURNING poll_cursor`,
		src.Name, now, now.Add(-src.Poll.Interval)).Scan(&cursor)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil // not due, or not seeded
	}
	if err != nil {
		return "", false, fmt.Errorf("%w: claim poll of %s: %w", derrors.Unavailable, src.Name, err)
	}
	return deref(cursor), true, nil
}

// poll fetches every page from cursor and stores each record; it saves the
// new cursor only when all of them are committed.
func (p *Poller) poll(ctx context.Context, src normalize.Source, cursor string) (Stats, error) {
	st := Stats{Cursor: cursor}
	paths, err := compile(src.Poll)
	if err != nil {
		return st, err
	}
	target, err := firstURL(src.Poll, cursor)
	if err != nil {
		return st, err
	}
	token := ""
	if src.SecretEnv != "" {
		token = p.getenv(src.SecretEnv)
	}
	newest := cursor
	for target != "" {
		if st.Pages >= maxPages {
			return st, fmt.Errorf("more than %d pages; is %s looping?", maxPages, src.Poll.NextPagePath)
		}
		page, err := p.fetch(ctx, src.Poll.Method, target, token)
		if err != nil {
			return st, err
		}
		st.Pages++
		records, ok := paths.records.Lookup(page)
		list, isList := records.([]any)
		if !ok || (records != nil && !isList) {
			return st, fmt.Errorf("page %d: %s is not a list of records", st.Pages, src.Poll.RecordsPath)
		}
		for i, rec := range list {
			id, updated := scalar(paths.id, rec), scalar(paths.updatedAt, rec)
			body, err := json.Marshal(rec)
			if err != nil {
				return st, fmt.Errorf("page %d record %d: encode: %w", st.Pages, i, err)
			}
			eventID := ""
			if id != "" && updated != "" {
				eventID = id + "@" + updated
			}
			// A record without an id is still stored (under its body hash):
			// normalizing it raises a finding a human sees, nothing is dropped.
			res, err := p.rec.RecordAs(ctx, src.Name, eventID, body)
			if err != nil {
				return st, fmt.Errorf("page %d record %q: %w", st.Pages, id, err)
			}
			st.Records++
			if res.Duplicate {
				st.Duplicates++
			} else {
				st.New++
			}
			if later(updated, newest) {
				newest = updated
			}
		}
		next := ""
		if paths.next != nil {
			next = scalar(paths.next, page)
		}
		if target, err = nextURL(target, next); err != nil {
			return st, err
		}
	}
	if newest != cursor {
		if _, err := p.db.Pool.Exec(ctx, `UPDATE sources SET poll_cursor = $2, updated_at = $3 WHERE name = $1`,
			src.Name, newest, p.clock.Now()); err != nil {
			return st, fmt.Errorf("%w: save poll cursor: %w", derrors.Unavailable, err)
		}
		st.Cursor = newest
	}
	return st, nil
}

type compiled struct {
	records, id, updatedAt, next normalize.Path
}

func compile(pc *normalize.Poll) (compiled, error) {
	var c compiled
	for _, m := range []struct {
		dst      *normalize.Path
		path     string
		required bool
	}{{&c.records, pc.RecordsPath, true}, {&c.id, pc.RecordIDPath, true},
		{&c.updatedAt, pc.UpdatedAtPath, false}, {&c.next, pc.NextPagePath, false}} {
		if m.path == "" {
			if m.required {
				return c, errors.New("poll.records_path and poll.record_id_path are required")
			}
			continue
		}
		p, err := normalize.ParsePath(m.path)
		if err != nil {
			return c, fmt.Errorf("poll path: %w", err)
		}
		*m.dst = p
	}
	return c, nil
}

func firstURL(pc *normalize.Poll, cursor string) (string, error) {
	u, err := url.Parse(pc.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("poll.url %q is not an absolute http(s) URL", pc.URL)
	}
	if cursor != "" && pc.CursorParam != "" {
		q := u.Query()
		q.Set(pc.CursorParam, cursor)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// nextURL resolves a next-page link against the current page; it must stay
// on the same host, so the token is never sent elsewhere.
func nextURL(current, next string) (string, error) {
	if strings.TrimSpace(next) == "" {
		return "", nil
	}
	base, _ := url.Parse(current)
	ref, err := url.Parse(next)
	if err != nil {
		return "", fmt.Errorf("next page link %q: %w", next, err)
	}
	u := base.ResolveReference(ref)
	if u.Host != base.Host {
		return "", fmt.Errorf("next page link goes to %s, not %s; refusing to send the token there", u.Host, base.Host)
	}
	return u.String(), nil
}

func (p *Poller) fetch(ctx context.Context, method, target, token string) (any, error) {
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", req.URL.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", req.URL.Redacted(), resp.StatusCode)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode %s: %w", req.URL.Redacted(), err)
	}
	return v, nil
}

// scalar reads a string or number at p as text.
func scalar(p normalize.Path, v any) string {
	if p == nil {
		return ""
	}
	x, _ := p.Lookup(v)
	switch s := x.(type) {
	case string:
		return strings.TrimSpace(s)
	case json.Number:
		return s.String()
	}
	return ""
}

// later reports whether updated_at a is after b: as instants when both are
// RFC 3339, else as text (ISO dates sort as text).
func later(a, b string) bool {
	if a == "" {
		return false
	}
	if b == "" {
		return true
	}
	ta, ea := time.Parse(time.RFC3339Nano, a)
	tb, eb := time.Parse(time.RFC3339Nano, b)
	if ea == nil && eb == nil {
		return ta.After(tb)
	}
	return a > b
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Shipped returns the poll sources among the mappings shipped in
// config/sources.
func Shipped() ([]normalize.Source, error) {
	entries, err := fs.ReadDir(config.SourcesFS, "sources")
	if err != nil {
		return nil, fmt.Errorf("poll: read config/sources: %w", err)
	}
	var out []normalize.Source
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok {
			continue
		}
		src, err := normalize.LoadSource(config.SourcesFS, name)
		if err != nil {
			return nil, fmt.Errorf("poll: %w", err)
		}
		if src.Kind == normalize.KindPoll {
			out = append(out, src)
		}
	}
	return out, nil
}
