package cases

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/sanitize"
)

// normalizerCodes are the finding codes the normalizer reports, and so the
// only ones a later version can resolve by no longer reporting them, plus
// cms_deleted: any new version means the CMS has the record again.
// email_bounced and landline come from delivery, not from CMS data, and are
// left to the packages that open them.
var normalizerCodes = []string{
	sanitize.CodeInvalidPhone, sanitize.CodeNotMobile, sanitize.CodeInvalidEmail, sanitize.CodeSuspectedTypo,
	sanitize.CodeMultipleValues, sanitize.CodeUnparseableDate, sanitize.CodeUnknownStatus, sanitize.CodeMissingField,
	CodeCMSDeleted,
}

// syncFindings makes the open findings of a case match what this version
// reports: new ones are opened, ones still reported get last_seen_at bumped
// (and their latest raw value), and normalizer findings this version no
// longer reports are resolved. created says the case was inserted in this
// transaction: it has no findings yet, so there is nothing to resolve.
func syncFindings(ctx context.Context, tx pgx.Tx, caseID int64, nc normalize.Case, created bool, now time.Time) error {
	var fields, codes, raws, suggestions []string
	seen := map[[2]string]bool{}
	for _, f := range nc.Findings {
		k := [2]string{f.Field, f.Code}
		if seen[k] {
			continue
		}
		seen[k] = true
		fields, codes = append(fields, f.Field), append(codes, f.Code)
		raws, suggestions = append(raws, f.Raw), append(suggestions, f.Suggestion)
	}
	if len(fields) > 0 {
		_, err := tx.Exec(ctx, `INSERT INTO data_findings (case_id, field, code, raw, suggestion, first_seen_at, last_seen_at)
			SELECT $1, f, c, r, s, $6, $6 FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(f, c, r, s)
			ON CONFLICT (case_id, field, code) WHERE resolved_at IS NULL
			DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, raw = EXCLUDED.raw, suggestion = EXCLUDED.suggestion`,
			caseID, fields, codes, raws, suggestions, now)
		if err != nil {
			return fmt.Errorf("upsert findings: %w", err)
		}
	}
	if created {
		return nil
	}
	_, err := tx.Exec(ctx, `UPDATE data_findings d SET resolved_at = $2
		WHERE d.case_id = $1 AND d.resolved_at IS NULL AND d.code = ANY($5::text[])
		AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS t(f, c) WHERE t.f = d.field AND t.c = d.code)`,
		caseID, now, fields, codes, normalizerCodes)
	if err != nil {
		return fmt.Errorf("resolve findings: %w", err)
	}
	return nil
}
