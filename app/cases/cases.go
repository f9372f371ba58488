// Package cases owns clients, cases, case_versions and data_findings: the
// canonical state of every case as the CMS last reported it, every version
// Herald received (applied or not), and the data problems found on the way.
//
// Apply is the only writer. It computes what changed itself, from the stored
// snapshot and the new one (normalize.Diff); a CMS's previous_attributes is
// never trusted. An update older than the stored state is recorded but never
// rolls the case back.
package cases

import (
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/normalize"
	"github.com/heraldhq/herald/app/store"
)

// Sentinel errors.
var (
	// ErrNotFound is returned by the read functions for a missing case.
	ErrNotFound = fmt.Errorf("case %w", derrors.NotFound)
	// ErrMissingClient means a new case arrived without a client id: Herald
	// cannot know whom to tell, so the event is a data error.
	ErrMissingClient = fmt.Errorf("%w: client_id is missing, so a new case cannot be created", derrors.InvalidArgument)
	// ErrMissingCaseID means the canonical case has no case_id.
	ErrMissingCaseID = fmt.Errorf("%w: case_id is missing", derrors.InvalidArgument)
)

// Service reads and writes cases.
type Service struct {
	db    *store.DB
	clock clock.Clock
	loc   *time.Location
}

// New returns the case service. loc is the firm's time zone, used to store
// date-only court dates as an instant (local midnight).
func New(db *store.DB, clk clock.Clock, loc *time.Location) *Service {
	if loc == nil {
		loc = time.UTC
	}
	return &Service{db: db, clock: clk, loc: loc}
}

// Change is the outcome of applying one version of a case. The rules engine
// plans messages from it.
type Change struct {
	CaseID         int64
	ClientID       int64
	InboundEventID int64
	// Version is the case_versions.version this event was stored as.
	Version int
	// Created is true when this event created the case.
	Created bool
	// Stale is true when the event was older than the stored state: it was
	// recorded (applied=false) and changed nothing. Diff then says what it
	// would have changed, for the record; nothing should act on it.
	Stale bool
	// Replayed is true when this inbound event had already been applied
	// (a retried job): nothing was written and the stored outcome is returned.
	Replayed bool
	// Diff is computed from the stored snapshot (Old) and the new one.
	Diff normalize.Changes
	New  normalize.Case
	// Old is the snapshot before this event; nil when Created.
	Old *normalize.Case
	// OccurredAt is the time the CMS says this state was true, if known.
	OccurredAt *time.Time
}

// Case is a stored case.
type Case struct {
	ID                 int64
	Source             string
	ExternalID         string
	ClientID           int64
	CaseNumber         *string
	CaseType           *string
	Status             *string
	StatusRaw          *string
	AttorneyID         *string
	ParalegalID        *string
	CMSPaused          bool
	NextCourtAt        *time.Time
	HearingConfirmedAt *time.Time
	Snapshot           normalize.Case
	Version            int
	CMSUpdatedAt       *time.Time
	StatusChangedAt    *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Version is one stored version of a case.
type Version struct {
	ID             int64
	CaseID         int64
	Version        int
	InboundEventID *int64
	Snapshot       normalize.Case
	Diff           normalize.Changes
	Applied        bool
	OccurredAt     *time.Time
	CreatedAt      time.Time
}

// Finding is one stored data problem on a case. It is open until a later
// version no longer reports it (ResolvedAt set).
type Finding struct {
	ID          int64
	CaseID      int64
	Field       string
	Code        string
	Raw         string
	Suggestion  string
	FirstSeenAt time.Time
	LastSeenAt  time.Time
	ResolvedAt  *time.Time
}

// Open reports whether the finding is unresolved.
func (f Finding) Open() bool { return f.ResolvedAt == nil }

// dbErr wraps a database error so the edges answer 503 and retry, keeping
// domain errors (derrors sentinels) as they are.
func dbErr(op string, err error) error {
	if errors.Is(err, derrors.InvalidArgument) || errors.Is(err, derrors.NotFound) {
		return err
	}
	return fmt.Errorf("cases: %s: %w: %w", op, derrors.Unavailable, err)
}
