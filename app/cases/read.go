package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// caseRow is the GORM shape of a cases row.
type caseRow struct {
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
	CMSPaused          bool `gorm:"column:cms_paused"`
	NextCourtAt        *time.Time
	HearingConfirmedAt *time.Time
	Snapshot           []byte
	Version            int
	CMSUpdatedAt       *time.Time `gorm:"column:cms_updated_at"`
	StatusChangedAt    *time.Time
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (caseRow) TableName() string { return "cases" }

func (r caseRow) toCase() (Case, error) {
	c := Case{ID: r.ID, Source: r.Source, ExternalID: r.ExternalID, ClientID: r.ClientID, CaseNumber: r.CaseNumber,
		CaseType: r.CaseType, Status: r.Status, StatusRaw: r.StatusRaw, AttorneyID: r.AttorneyID,
		ParalegalID: r.ParalegalID, CMSPaused: r.CMSPaused, NextCourtAt: r.NextCourtAt,
		HearingConfirmedAt: r.HearingConfirmedAt, Version: r.Version, CMSUpdatedAt: r.CMSUpdatedAt,
		StatusChangedAt: r.StatusChangedAt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if err := json.Unmarshal(r.Snapshot, &c.Snapshot); err != nil {
		return Case{}, fmt.Errorf("cases: decode snapshot of case %d: %w", r.ID, err)
	}
	return c, nil
}

// Get returns one case by id.
func (s *Service) Get(ctx context.Context, caseID int64) (Case, error) {
	return s.first(ctx, "get case", "id = ?", caseID)
}

// GetByExternal returns the case a source knows by externalID.
func (s *Service) GetByExternal(ctx context.Context, source, externalID string) (Case, error) {
	return s.first(ctx, "get case by external id", "source = ? AND external_id = ?", source, externalID)
}

func (s *Service) first(ctx context.Context, op, where string, args ...any) (Case, error) {
	var r caseRow
	err := s.db.Gorm.WithContext(ctx).Where(where, args...).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Case{}, fmt.Errorf("%w: %v", ErrNotFound, args)
	}
	if err != nil {
		return Case{}, dbErr(op, err)
	}
	return r.toCase()
}

// Findings returns the case's data findings, open ones first, most
// recently seen first.
func (s *Service) Findings(ctx context.Context, caseID int64) ([]Finding, error) {
	var out []Finding
	err := s.db.Gorm.WithContext(ctx).Table("data_findings").Where("case_id = ?", caseID).
		Order("resolved_at IS NOT NULL, last_seen_at DESC, id DESC").Find(&out).Error
	if err != nil {
		return nil, dbErr("list findings", err)
	}
	return out, nil
}

// versionRow is the GORM shape of a case_versions row.
type versionRow struct {
	ID             int64
	CaseID         int64
	Version        int
	InboundEventID *int64
	Snapshot       []byte
	Diff           []byte
	Applied        bool
	OccurredAt     *time.Time
	CreatedAt      time.Time
}

// Versions returns every stored version of the case, newest first.
func (s *Service) Versions(ctx context.Context, caseID int64) ([]Version, error) {
	var rows []versionRow
	err := s.db.Gorm.WithContext(ctx).Table("case_versions").Where("case_id = ?", caseID).
		Order("version DESC").Find(&rows).Error
	if err != nil {
		return nil, dbErr("list versions", err)
	}
	out := make([]Version, len(rows))
	for i, r := range rows {
		out[i] = Version{ID: r.ID, CaseID: r.CaseID, Version: r.Version, InboundEventID: r.InboundEventID,
			Applied: r.Applied, OccurredAt: r.OccurredAt, CreatedAt: r.CreatedAt}
		if err := json.Unmarshal(r.Snapshot, &out[i].Snapshot); err != nil {
			return nil, fmt.Errorf("cases: decode version %d snapshot: %w", r.ID, err)
		}
		if err := json.Unmarshal(r.Diff, &out[i].Diff); err != nil {
			return nil, fmt.Errorf("cases: decode version %d diff: %w", r.ID, err)
		}
	}
	return out, nil
}
