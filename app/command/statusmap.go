package command

import (
	"context"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/statuses"
	"github.com/heraldhq/herald/app/store"
)

// loadStatusMap returns the canonical statuses with the firm's aliases from
// the database, or the shipped defaults when none are seeded yet.
func loadStatusMap(ctx context.Context, db *store.DB) (*sanitize.StatusMap, error) {
	list, err := statuses.New(db, clock.Real{}).Load(ctx)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		list = sanitize.DefaultStatuses()
	}
	return sanitize.NewStatusMap(list)
}
