package command

import (
	"context"

	"github.com/heraldhq/herald/app/sanitize"
	"github.com/heraldhq/herald/app/store"
)

// loadStatusMap returns the canonical statuses with the firm's aliases.
func loadStatusMap(ctx context.Context, db *store.DB) (*sanitize.StatusMap, error) {
	return sanitize.NewStatusMap(sanitize.DefaultStatuses())
}
