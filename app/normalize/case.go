package normalize

import (
	"encoding/json"

	"github.com/heraldhq/herald/app/sanitize"
)

// Case is the canonical case: the trustworthy facts Herald acts on. Absent
// or unusable values are nil and marshal as JSON null; every problem found
// while building it is listed in Findings. Its JSON form is what
// case_versions.snapshot stores, and it round-trips through json.Unmarshal.
type Case struct {
	CaseID     string  `json:"case_id"`
	ClientID   *string `json:"client_id"`
	CaseNumber *string `json:"case_number"`
	// Status is the canonical status key; StatusRaw is the value the CMS sent,
	// kept even when it matched nothing.
	Status             *string            `json:"status"`
	StatusRaw          *string            `json:"status_raw"`
	Client             Client             `json:"client"`
	Dates              Dates              `json:"dates"`
	NextCourtEventType *string            `json:"next_court_event_type"`
	CaseType           *string            `json:"case_type"`
	AttorneyID         *string            `json:"attorney_id"`
	ParalegalID        *string            `json:"paralegal_id"`
	IsAutomationPaused *bool              `json:"is_automation_paused"`
	Findings           []sanitize.Finding `json:"findings"`
}

// Client is the client's contact details as the case carries them.
type Client struct {
	FirstName *string `json:"first_name"`
	LastName  *string `json:"last_name"`
	// Email is a syntactically valid address; MobilePhone is E.164 and, as
	// far as numbering metadata can tell, able to receive SMS.
	Email             *string `json:"email"`
	MobilePhone       *string `json:"mobile_phone"`
	PreferredLanguage *string `json:"preferred_language"`
	Timezone          *string `json:"timezone"`
}

// Dates are the case's deadlines. Each is date-only ("YYYY-MM-DD") or a
// date-time (RFC 3339), as the CMS wrote it.
type Dates struct {
	NextCourtDate        *sanitize.Date `json:"next_court_date"`
	FilingDeadline       *sanitize.Date `json:"filing_deadline"`
	StatuteOfLimitations *sanitize.Date `json:"statute_of_limitations"`
}

// MarshalJSON writes findings as [] rather than null when there are none.
func (c Case) MarshalJSON() ([]byte, error) {
	type plain Case
	if c.Findings == nil {
		c.Findings = []sanitize.Finding{}
	}
	return json.Marshal(plain(c))
}

// HasFinding reports whether the case has a finding with code for field.
func (c Case) HasFinding(field, code string) bool {
	for _, f := range c.Findings {
		if f.Field == field && f.Code == code {
			return true
		}
	}
	return false
}
