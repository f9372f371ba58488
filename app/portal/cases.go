package portal

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CaseFilter is the case list's search box and filters. After is the
// keyset cursor of the next page (from CasePage.Next).
type CaseFilter struct {
	Q           string // case number (prefix) or client name (substring)
	Status      string // canonical status key
	Attorney    string // attorney CMS id
	Paused      string // "", "yes" or "no"
	HasFindings bool
	After       string
	Limit       int
}

// CaseRow is one line of the case list.
type CaseRow struct {
	ID           int64
	ExternalID   string
	CaseNumber   string
	ClientID     int64
	ClientName   string
	Status       string
	StatusLabel  string
	StatusRaw    string
	Attorney     string
	UpdatedAt    time.Time
	Paused       bool
	OpenFindings int64
}

// Option is one choice of a filter drop-down.
type Option struct{ Value, Label string }

// CasePage is one page of the case list. Next is empty on the last page.
type CasePage struct {
	Filter    CaseFilter
	Rows      []CaseRow
	Next      string
	Statuses  []Option
	Attorneys []Option
}

// Cases pages through cases newest-updated first with a keyset cursor over
// (updated_at, id). Every condition is written so that an index serves it
// (migrations/00080_case_search.sql): search and the paused and findings
// filters select candidate ids, status and attorney walk their
// (key, updated_at, id) indexes, and no page reads more than it must however
// deep it is.
func (r *Reader) Cases(ctx context.Context, f CaseFilter) (CasePage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	page := CasePage{Filter: f}
	// A firm-wide pause pauses every case: decided once here rather than
	// per row.
	firmPaused, err := r.FirmPaused(ctx)
	if err != nil {
		return page, err
	}
	var where []string
	args := map[string]any{"now": r.clock.Now(), "firm": firmPaused}
	if q := strings.TrimSpace(f.Q); q != "" {
		cond, err := r.searchCondition(ctx, q, args)
		if err != nil {
			return page, err
		}
		where = append(where, cond)
	}
	if f.Status != "" {
		args["status"] = f.Status
		where = append(where, `c.status = @status`)
	}
	if f.Attorney != "" {
		args["attorney"] = f.Attorney
		where = append(where, `c.attorney_id = @attorney`)
	}
	switch {
	case f.Paused == "yes" && !firmPaused:
		where = append(where, `c.id IN (SELECT id FROM cases WHERE cms_paused
			UNION ALL `+casePaused+`
			UNION ALL SELECT k.id FROM cases k WHERE k.client_id IN (`+clientPaused+`))`)
	case f.Paused == "no" && firmPaused:
		where = append(where, `false`)
	case f.Paused == "no":
		where = append(where, `NOT c.cms_paused AND c.id NOT IN (`+casePaused+`) AND c.client_id NOT IN (`+clientPaused+`)`)
	}
	if f.HasFindings {
		where = append(where, `c.id IN (SELECT df.case_id FROM data_findings df WHERE df.resolved_at IS NULL)`)
	}
	if f.After != "" {
		ts, id, err := parseCursor(f.After)
		if err != nil {
			return page, err
		}
		args["after_ts"], args["after_id"] = ts, id
		where = append(where, `(c.updated_at, c.id) < (@after_ts, @after_id)`)
	}
	// The page is chosen from cases alone; its clients, labels, pauses and
	// findings are read for the rows shown only.
	pageSQL := `SELECT c.id FROM cases c`
	if len(where) > 0 {
		pageSQL += " WHERE " + strings.Join(where, " AND ")
	}
	// The limit is a literal: as a parameter, a prepared statement's
	// generic plan would guess a tenth of the table and hash-join it all.
	pageSQL += ` ORDER BY c.updated_at DESC, c.id DESC LIMIT ` + strconv.Itoa(f.Limit+1)
	sql := `SELECT c.id, c.external_id, coalesce(c.case_number, '') AS case_number, c.client_id,
			trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name,
			coalesce(c.status, '') AS status, coalesce(cs.label, '') AS status_label, coalesce(c.status_raw, '') AS status_raw,
			coalesce(c.attorney_id, '') AS attorney, c.updated_at,
			(@firm OR c.cms_paused OR c.id IN (` + casePaused + `) OR c.client_id IN (` + clientPaused + `)) AS paused,
			(SELECT count(*) FROM data_findings df WHERE df.case_id = c.id AND df.resolved_at IS NULL) AS open_findings
		FROM (` + pageSQL + `) pg JOIN cases c ON c.id = pg.id JOIN clients cl ON cl.id = c.client_id
		LEFT JOIN canonical_statuses cs ON cs.key = c.status
		ORDER BY c.updated_at DESC, c.id DESC`
	if err := r.scan(ctx, "cases", &page.Rows, sql, args); err != nil {
		return page, err
	}
	if len(page.Rows) > f.Limit {
		page.Rows = page.Rows[:f.Limit]
		page.Next = page.Rows[len(page.Rows)-1].Cursor()
	}
	if err := r.scan(ctx, "statuses", &page.Statuses,
		`SELECT key AS value, label FROM canonical_statuses WHERE active ORDER BY position, key`); err != nil {
		return page, err
	}
	// The distinct attorney ids, found by skipping through the
	// cases_attorney index one id at a time rather than reading every case.
	if err := r.scan(ctx, "attorneys", &page.Attorneys,
		`WITH RECURSIVE a (id, n) AS (
			(SELECT attorney_id, 1 FROM cases WHERE attorney_id IS NOT NULL ORDER BY attorney_id LIMIT 1)
			UNION ALL
			SELECT (SELECT c.attorney_id FROM cases c WHERE c.attorney_id > a.id ORDER BY c.attorney_id LIMIT 1), n + 1
			FROM a WHERE a.id IS NOT NULL AND n < 500)
		 SELECT a.id AS value, coalesce(s.name, a.id) AS label
		 FROM a LEFT JOIN staff_users s ON s.cms_id = a.id WHERE a.id IS NOT NULL ORDER BY lower(coalesce(s.name, a.id)), a.id`); err != nil {
		return page, err
	}
	return page, nil
}

// casePaused and clientPaused list the cases and clients under a pause in
// force at @now.
const (
	casePaused   = `SELECT p.case_id FROM pauses p WHERE p.scope = 'case' AND p.case_id IS NOT NULL AND ` + activePause
	clientPaused = `SELECT p.client_id FROM pauses p WHERE p.scope = 'client' AND p.client_id IS NOT NULL AND ` + activePause
)

// Cursor is the keyset cursor of the page that continues after row r.
func (r CaseRow) Cursor() string { return fmt.Sprintf("%d-%d", r.UpdatedAt.UnixMicro(), r.ID) }

func parseCursor(s string) (time.Time, int64, error) {
	a, b, ok := strings.Cut(s, "-")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return time.Time{}, 0, invalid("after", "is not a page cursor", "use the Next link")
	}
	return time.UnixMicro(us), id, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
