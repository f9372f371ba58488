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
// (updated_at, id), which the cases_updated index serves without an offset
// scan however deep the page.
func (r *Reader) Cases(ctx context.Context, f CaseFilter) (CasePage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	page := CasePage{Filter: f}
	var where []string
	args := map[string]any{"now": r.clock.Now(), "limit": f.Limit + 1}
	if q := strings.TrimSpace(f.Q); q != "" {
		args["q"] = q
		args["qprefix"] = likeEscape(q) + "%"
		args["qsub"] = "%" + likeEscape(q) + "%"
		where = append(where, `(c.case_number = @q OR c.case_number ILIKE @qprefix OR c.external_id = @q
			OR (coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) ILIKE @qsub)`)
	}
	if f.Status != "" {
		args["status"] = f.Status
		where = append(where, `c.status = @status`)
	}
	if f.Attorney != "" {
		args["attorney"] = f.Attorney
		where = append(where, `c.attorney_id = @attorney`)
	}
	pausedSQL := `(c.cms_paused OR EXISTS (SELECT 1 FROM pauses p WHERE ((p.scope = 'case' AND p.case_id = c.id)
		OR (p.scope = 'client' AND p.client_id = c.client_id) OR p.scope = 'firm') AND ` + activePause + `))`
	switch f.Paused {
	case "yes":
		where = append(where, pausedSQL)
	case "no":
		where = append(where, "NOT "+pausedSQL)
	}
	if f.HasFindings {
		where = append(where, `EXISTS (SELECT 1 FROM data_findings df WHERE df.case_id = c.id AND df.resolved_at IS NULL)`)
	}
	if f.After != "" {
		ts, id, err := parseCursor(f.After)
		if err != nil {
			return page, err
		}
		args["after_ts"], args["after_id"] = ts, id
		where = append(where, `(c.updated_at, c.id) < (@after_ts, @after_id)`)
	}
	sql := `SELECT c.id, c.external_id, coalesce(c.case_number, '') AS case_number, c.client_id,
			trim(coalesce(cl.first_name, '') || ' ' || coalesce(cl.last_name, '')) AS client_name,
			coalesce(c.status, '') AS status, coalesce(cs.label, '') AS status_label, coalesce(c.status_raw, '') AS status_raw,
			coalesce(c.attorney_id, '') AS attorney, c.updated_at, ` + pausedSQL + ` AS paused,
			(SELECT count(*) FROM data_findings df WHERE df.case_id = c.id AND df.resolved_at IS NULL) AS open_findings
		FROM cases c JOIN clients cl ON cl.id = c.client_id
		LEFT JOIN canonical_statuses cs ON cs.key = c.status`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY c.updated_at DESC, c.id DESC LIMIT @limit`
	if err := r.scan(ctx, "cases", &page.Rows, sql, args); err != nil {
		return page, err
	}
	if len(page.Rows) > f.Limit {
		page.Rows = page.Rows[:f.Limit]
		last := page.Rows[len(page.Rows)-1]
		page.Next = fmt.Sprintf("%d-%d", last.UpdatedAt.UnixMicro(), last.ID)
	}
	if err := r.scan(ctx, "statuses", &page.Statuses,
		`SELECT key AS value, label FROM canonical_statuses WHERE active ORDER BY position, key`); err != nil {
		return page, err
	}
	if err := r.scan(ctx, "attorneys", &page.Attorneys,
		`SELECT DISTINCT c.attorney_id AS value, coalesce(s.name, c.attorney_id) AS label
		 FROM cases c LEFT JOIN staff_users s ON s.cms_id = c.attorney_id
		 WHERE c.attorney_id IS NOT NULL ORDER BY 2 LIMIT 500`); err != nil {
		return page, err
	}
	return page, nil
}

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
