package cases

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/app/normalize"
)

// CodeCMSDeleted is the finding opened on a case whose record the CMS
// deleted (a Clio "deleted" webhook, or a 404 when Herald fetches it). Like
// the normalizer's codes, the next version Apply stores for the case (the
// record restored) resolves it.
const CodeCMSDeleted = "cms_deleted"

// MarkDeleted records that the CMS deleted the case it knows as externalID:
// an open cms_deleted finding on case_id, whose suggestion is detail. It
// returns the case's id, or found false when Herald never stored that case
// (then there is nothing to record). Repeating it only bumps last_seen_at.
func (s *Service) MarkDeleted(ctx context.Context, source, externalID, detail string) (caseID int64, found bool, err error) {
	now := s.clock.Now()
	err = s.db.Pool.QueryRow(ctx, `SELECT id FROM cases WHERE source = $1 AND external_id = $2`, source, externalID).Scan(&caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, dbErr("find deleted case", err)
	}
	if err := openCaseFinding(ctx, s.db.Pool, caseID, normalize.FieldCaseID, CodeCMSDeleted, externalID, detail, now); err != nil {
		return caseID, true, err
	}
	return caseID, true, nil
}

func openCaseFinding(ctx context.Context, q DBTX, caseID int64, field, code, raw, suggestion string, at time.Time) error {
	_, err := q.Exec(ctx, `INSERT INTO data_findings (case_id, field, code, raw, suggestion, first_seen_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (case_id, field, code) WHERE resolved_at IS NULL
		DO UPDATE SET last_seen_at = EXCLUDED.last_seen_at, raw = EXCLUDED.raw, suggestion = EXCLUDED.suggestion`,
		caseID, field, code, raw, suggestion, at)
	if err != nil {
		return dbErr("open "+code+" finding", err)
	}
	return nil
}
