package sanitize

import (
	"os"
	"reflect"
	"slices"
	"testing"
)

func TestStatusMapMatch(t *testing.T) {
	m, err := NewStatusMap(DefaultStatuses())
	if err != nil {
		t.Fatalf("NewStatusMap(DefaultStatuses()) error: %v", err)
	}
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{"intake_complete", "intake_complete", true},
		{"Intake Complete", "intake_complete", true},
		{"  INTAKE-COMPLETE. ", "intake_complete", true},
		{"Intake Completed", "intake_complete", true},
		{"Settlement Offer Rec'd", "settlement_offer_received", true},
		{"settlement offer recd", "settlement_offer_received", true},
		{"Discovery Initiated", "discovery_initiated", true},
		{"Closed", "closed", true},
		{"Intake Complet", "", false}, // near misses are never guessed
		{"Open", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, ok := m.Match(tt.raw)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Match(%q) = %q, %v; want %q, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func TestStatusMapSanitize(t *testing.T) {
	m, err := NewStatusMap(DefaultStatuses())
	if err != nil {
		t.Fatalf("NewStatusMap: %v", err)
	}
	tests := []struct {
		raw, want string
		codes     []string
	}{
		{"Retained", "retained", nil},
		{"", "", nil},
		{"Pre-Lit", "", []string{CodeUnknownStatus}},
	}
	for _, tt := range tests {
		got, fs := m.Sanitize(tt.raw)
		if got != tt.want || !slices.Equal(findingCodes(fs), tt.codes) {
			t.Errorf("Sanitize(%q) = %q, %v; want %q, %v", tt.raw, got, findingCodes(fs), tt.want, tt.codes)
		}
	}
}

func TestStatusMapAddAlias(t *testing.T) {
	base, err := NewStatusMap(DefaultStatuses())
	if err != nil {
		t.Fatalf("NewStatusMap: %v", err)
	}
	m := base.Clone()
	if err := m.AddAlias("Pre-Lit", "investigation"); err != nil {
		t.Fatalf("AddAlias: %v", err)
	}
	if got, ok := m.Match("prelit"); got != "investigation" || !ok {
		t.Errorf("Match(prelit) after AddAlias = %q, %v; want investigation, true", got, ok)
	}
	if _, ok := base.Match("prelit"); ok {
		t.Errorf("Clone shares aliases with the original, want independent copies")
	}
	if err := m.AddAlias("pre lit", "investigation"); err != nil {
		t.Errorf("AddAlias of an equivalent alias = %v, want nil", err)
	}
	if err := m.AddAlias("PreLit", "closed"); err == nil {
		t.Errorf("AddAlias of a conflicting alias = nil, want an error")
	}
	if err := m.AddAlias("x", "no_such_status"); err == nil {
		t.Errorf("AddAlias to an unknown key = nil, want an error")
	}
	if _, err := NewStatusMap([]Status{{Key: "a", Label: "Same"}, {Key: "b", Label: "same"}}); err == nil {
		t.Errorf("NewStatusMap with clashing labels = nil error, want an error")
	}
	if got := m.Label("retained"); got != "Retained" {
		t.Errorf("Label(retained) = %q, want Retained", got)
	}
}

// TestDefaultStatusesMatchYAML keeps DefaultStatuses and config/statuses.yaml
// identical.
func TestDefaultStatusesMatchYAML(t *testing.T) {
	data, err := os.ReadFile("../../config/statuses.yaml")
	if err != nil {
		t.Fatalf("read config/statuses.yaml: %v", err)
	}
	got, err := ParseStatuses(data)
	if err != nil {
		t.Fatalf("ParseStatuses: %v", err)
	}
	if want := DefaultStatuses(); !reflect.DeepEqual(got, want) {
		t.Errorf("config/statuses.yaml = %+v\nwant DefaultStatuses() = %+v", got, want)
	}
}
