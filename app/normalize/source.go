// Package normalize maps a CMS payload onto Herald's canonical case using a
// per-source mapping (config/sources/<name>.yaml), sanitizing every value
// with package sanitize. It is pure: no database, no network, no clock.
package normalize

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/heraldhq/herald/app/sanitize"
)

// Source kinds.
const (
	KindWebhook = "webhook"
	KindClio    = "clio"
	KindPoll    = "poll"
)

// Canonical case fields, the keys of Source.Fields and the names used in
// findings.
const (
	FieldCaseID               = "case_id"
	FieldCaseNumber           = "case_number"
	FieldClientID             = "client_id"
	FieldClientFirstName      = "client_first_name"
	FieldClientLastName       = "client_last_name"
	FieldClientEmail          = "client_email"
	FieldClientMobilePhone    = "client_mobile_phone"
	FieldPreferredLanguage    = "preferred_language"
	FieldTimezone             = "timezone"
	FieldStatus               = "status"
	FieldNextCourtDate        = "next_court_date"
	FieldNextCourtEventType   = "next_court_event_type"
	FieldFilingDeadline       = "filing_deadline"
	FieldStatuteOfLimitations = "statute_of_limitations"
	FieldAttorneyID           = "attorney_id"
	FieldParalegalID          = "paralegal_id"
	FieldIsAutomationPaused   = "is_automation_paused"
	FieldCaseType             = "case_type"
)

// CanonicalFields lists every canonical case field in display order.
var CanonicalFields = []string{
	FieldCaseID, FieldCaseNumber, FieldClientID, FieldClientFirstName, FieldClientLastName,
	FieldClientEmail, FieldClientMobilePhone, FieldPreferredLanguage, FieldTimezone, FieldStatus,
	FieldNextCourtDate, FieldNextCourtEventType, FieldFilingDeadline, FieldStatuteOfLimitations,
	FieldAttorneyID, FieldParalegalID, FieldIsAutomationPaused, FieldCaseType,
}

// Source is one CMS source mapping, loaded from config/sources/<name>.yaml.
// Every path is a JSON path (see ParsePath) into the event body, or for
// kind poll into one record.
type Source struct {
	Name      string `yaml:"name"`
	Kind      string `yaml:"kind"`
	SecretEnv string `yaml:"secret_env"`
	// EventID, EventType, OccurredAt, UpdatedAt and PreviousAttributes are
	// optional paths to event metadata.
	EventID            string `yaml:"event_id"`
	EventType          string `yaml:"event_type"`
	OccurredAt         string `yaml:"occurred_at"`
	UpdatedAt          string `yaml:"updated_at"`
	PreviousAttributes string `yaml:"previous_attributes"`
	// Fields maps a canonical field name to its path; case_id is required.
	Fields map[string]string `yaml:"fields"`
	// StatusAliases maps a raw status value to a canonical status key, on
	// top of the firm-wide aliases.
	StatusAliases map[string]string `yaml:"status_aliases"`
	// DateOrder is MDY (default) or DMY.
	DateOrder string `yaml:"date_order"`
	Poll      *Poll  `yaml:"poll"`
}

// Poll configures a source Herald polls instead of receiving webhooks.
type Poll struct {
	URL           string        `yaml:"url"`
	Method        string        `yaml:"method"`
	CursorParam   string        `yaml:"cursor_param"`
	RecordsPath   string        `yaml:"records_path"`
	RecordIDPath  string        `yaml:"record_id_path"`
	UpdatedAtPath string        `yaml:"updated_at_path"`
	NextPagePath  string        `yaml:"next_page_path"`
	Interval      time.Duration `yaml:"interval"`
}

// ParseSource decodes and validates a source mapping. Unknown YAML keys are
// errors, so a misspelt key is not silently ignored.
func ParseSource(data []byte) (Source, error) {
	var src Source
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&src); err != nil {
		return Source{}, fmt.Errorf("normalize: parse source mapping: %w", err)
	}
	if err := src.Validate(); err != nil {
		return Source{}, err
	}
	return src, nil
}

// LoadSource reads sources/<name>.yaml from fsys (config.SourcesFS).
func LoadSource(fsys fs.FS, name string) (Source, error) {
	data, err := fs.ReadFile(fsys, path.Join("sources", name+".yaml"))
	if err != nil {
		return Source{}, fmt.Errorf("normalize: load source %q: %w", name, err)
	}
	src, err := ParseSource(data)
	if err != nil {
		return Source{}, fmt.Errorf("normalize: source %q: %w", name, err)
	}
	return src, nil
}

// Validate reports every problem in the mapping at once.
func (s Source) Validate() error {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	if !slices.Contains([]string{KindWebhook, KindClio, KindPoll}, s.Kind) {
		errs = append(errs, fmt.Errorf("kind %q must be webhook, clio or poll", s.Kind))
	}
	if s.Fields[FieldCaseID] == "" {
		errs = append(errs, errors.New("fields.case_id is required"))
	}
	for field, p := range s.Fields {
		if !slices.Contains(CanonicalFields, field) {
			errs = append(errs, fmt.Errorf("fields.%s is not a canonical field", field))
		}
		if _, err := ParsePath(p); err != nil {
			errs = append(errs, fmt.Errorf("fields.%s: %w", field, err))
		}
	}
	for name, p := range map[string]string{"event_id": s.EventID, "event_type": s.EventType,
		"occurred_at": s.OccurredAt, "updated_at": s.UpdatedAt, "previous_attributes": s.PreviousAttributes} {
		if p == "" {
			continue
		}
		if _, err := ParsePath(p); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if _, err := sanitize.ParseDateOrder(s.DateOrder); err != nil {
		errs = append(errs, err)
	}
	switch {
	case s.Kind == KindPoll && s.Poll == nil:
		errs = append(errs, errors.New("poll is required for kind poll"))
	case s.Kind == KindPoll:
		if s.Poll.URL == "" {
			errs = append(errs, errors.New("poll.url is required"))
		}
		if s.Poll.RecordsPath == "" || s.Poll.RecordIDPath == "" {
			errs = append(errs, errors.New("poll.records_path and poll.record_id_path are required"))
		}
		if s.Poll.Interval <= 0 {
			errs = append(errs, errors.New("poll.interval must be a positive duration such as 5m"))
		}
	case s.Poll != nil:
		errs = append(errs, fmt.Errorf("poll is only allowed for kind poll, not %q", s.Kind))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("normalize: invalid source mapping %q: %w", s.Name, err)
	}
	return nil
}
