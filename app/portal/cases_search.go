package portal

import (
	"context"
	"strconv"
	"strings"
)

// searchDense is how many matches (cases by number or CMS id, clients by
// name) make a search dense: the list then walks cases newest first and
// keeps the matches (it meets a page of them soon), where a sparse search
// collects its few matches and sorts them. Either way a page costs at most
// about this many case reads.
const searchDense = 1000

// The arms are the ways a case matches search @q: its case number starts
// with it (case-insensitively), its CMS id is it, or its client's name
// contains it (ILIKE). migrations/00080_case_search.sql indexes each.
const (
	numberArm = `SELECT id FROM cases WHERE lower(case_number) LIKE @qprefix`
	cmsArm    = `SELECT id FROM cases WHERE external_id = @q`
	nameArm   = `SELECT n.id FROM clients n WHERE (coalesce(n.first_name, '') || ' ' || coalesce(n.last_name, '')) ILIKE @qsub`
)

// searchCondition returns the case list's condition for search q, choosing
// the plan by how many cases match: no single plan serves "Garcia" (2% of
// clients) and a name five clients have.
func (r *Reader) searchCondition(ctx context.Context, q string, args map[string]any) (string, error) {
	args["q"] = q
	args["qprefix"] = strings.ToLower(likeEscape(q)) + "%"
	args["qsub"] = "%" + likeEscape(q) + "%"
	var n int64
	if err := r.scan(ctx, "search size", &n, `SELECT count(*) FROM (`+numberArm+` UNION ALL `+cmsArm+` UNION ALL `+nameArm+`
		LIMIT `+strconv.Itoa(searchDense)+`) s`, args); err != nil {
		return "", err
	}
	if n >= searchDense {
		return `(lower(c.case_number) LIKE @qprefix OR c.external_id = @q OR c.client_id IN (` + nameArm + `))`, nil
	}
	return `c.id IN (` + numberArm + ` UNION ALL ` + cmsArm + ` UNION ALL SELECT k.id FROM cases k WHERE k.client_id IN (` + nameArm + `))`, nil
}
