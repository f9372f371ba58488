package delivery

import (
	"context"
	"time"

	"github.com/heraldhq/herald/app/ledger"
)

// Retry sends dead letter id again on a human's say-so: the ledger moves it
// to pending (audited) and a wake-up is enqueued. Sending still goes through
// Deliver's claim, so it is sent at most once however often the wake-up runs.
func (s *Service) Retry(ctx context.Context, id int64, actor ledger.Actor) (ledger.Message, error) {
	m, err := s.d.Ledger.Retry(ctx, id, actor)
	if err != nil {
		return ledger.Message{}, err
	}
	s.wake(ctx, m.ID, m.Attempts+1, time.Time{})
	return m, nil
}

// RetryWhere retries every dead letter matching f and wakes each one.
func (s *Service) RetryWhere(ctx context.Context, f ledger.DeadFilter, actor ledger.Actor) ([]ledger.Message, error) {
	ms, err := s.d.Ledger.RetryWhere(ctx, f, actor)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		s.wake(ctx, m.ID, m.Attempts+1, time.Time{})
	}
	return ms, nil
}
