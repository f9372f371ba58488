package render

import "testing"

func TestChooseLanguage(t *testing.T) {
	tests := []struct {
		name        string
		available   []string
		preferred   string
		firmDefault string
		want        string
	}{
		{"exact", []string{"en", "es"}, "es", "en", "es"},
		{"region to base", []string{"en", "es"}, "es-MX", "en", "es"},
		{"underscore and case", []string{"en", "es"}, "ES_mx", "en", "es"},
		{"exact region wins over base", []string{"en", "es", "es-MX"}, "es-MX", "en", "es-MX"},
		{"base to a regional variant", []string{"en", "es-US"}, "es", "en", "es-US"},
		{"firm default", []string{"en", "es"}, "fr", "es", "es"},
		{"empty preferred", []string{"en", "es"}, "", "es", "es"},
		{"english last resort", []string{"es", "en"}, "fr", "de", "en"},
		{"first available when nothing matches", []string{"es"}, "fr", "de", "es"},
		{"nothing available", nil, "es", "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ChooseLanguage(tt.available, tt.preferred, tt.firmDefault); got != tt.want {
				t.Errorf("ChooseLanguage(%v, %q, %q) = %q, want %q", tt.available, tt.preferred, tt.firmDefault, got, tt.want)
			}
		})
	}
}
