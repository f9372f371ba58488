package sanitize

import (
	"slices"
	"testing"
)

func TestEmail(t *testing.T) {
	tests := []struct {
		name, raw string
		want      string
		codes     []string
		sugg      string
	}{
		{"empty", "", "", nil, ""},
		{"plain", "jane@example.com", "jane@example.com", nil, ""},
		{"trim and lower domain", "  Jane.Doe@Example.COM ", "Jane.Doe@example.com", nil, ""},
		{"mailto", "mailto:jane@example.com", "jane@example.com", nil, ""},
		{"mailto upper with query", "MAILTO:jane@example.com?subject=hi", "jane@example.com", nil, ""},
		{"display name", "Jane Doe <jane@example.com>", "jane@example.com", nil, ""},
		{"quoted display name", `"Doe, Jane" <jane@example.com>`, "jane@example.com", nil, ""},
		{"plus tag", "jane+law@example.com", "jane+law@example.com", nil, ""},
		{"subdomain", "j@mail.firm.co.uk", "j@mail.firm.co.uk", nil, ""},
		{"two comma", "jane@example.com, john@example.com", "jane@example.com", []string{CodeMultipleValues}, "jane@example.com"},
		{"two semicolon", "jane@example.com;john@example.com", "jane@example.com", []string{CodeMultipleValues}, "jane@example.com"},
		{"two or", "bad@@x or john@example.com", "john@example.com", []string{CodeMultipleValues}, "john@example.com"},
		{"two none valid", "a@b@c, d@", "", []string{CodeInvalidEmail}, ""},
		{"comma for dot", "jane@gmail,com", "", []string{CodeInvalidEmail}, "jane@gmail.com"},
		{"missing at common domain", "jane.gmail.com", "", []string{CodeInvalidEmail}, "jane@gmail.com"},
		{"missing at unknown domain", "jane.example.com", "", []string{CodeInvalidEmail}, ""},
		{"space inside", "jane doe@example.com", "", []string{CodeInvalidEmail}, "janedoe@example.com"},
		{"double dot domain", "jane@example..com", "", []string{CodeInvalidEmail}, "jane@example.com"},
		{"double dot local", "jane..doe@example.com", "", []string{CodeInvalidEmail}, "jane.doe@example.com"},
		{"at word", "jane (at) example.com", "", []string{CodeInvalidEmail}, "jane@example.com"},
		{"no tld", "jane@example", "", []string{CodeInvalidEmail}, ""},
		{"trailing dot", "jane@example.com.", "", []string{CodeInvalidEmail}, "jane@example.com"},
		{"invalid with typo suggestion", "jane@gmial,com", "", []string{CodeInvalidEmail}, "jane@gmail.com"},
		{"typo gmial", "jane@gmial.com", "jane@gmial.com", []string{CodeSuspectedTypo}, "jane@gmail.com"},
		{"typo gmai", "jane@gmai.com", "jane@gmai.com", []string{CodeSuspectedTypo}, "jane@gmail.com"},
		{"typo gnail", "jane@gnail.com", "jane@gnail.com", []string{CodeSuspectedTypo}, "jane@gmail.com"},
		{"typo hotmial", "jane@hotmial.com", "jane@hotmial.com", []string{CodeSuspectedTypo}, "jane@hotmail.com"},
		{"typo hotmal", "jane@hotmal.com", "jane@hotmal.com", []string{CodeSuspectedTypo}, "jane@hotmail.com"},
		{"typo yaho", "jane@yaho.com", "jane@yaho.com", []string{CodeSuspectedTypo}, "jane@yahoo.com"},
		{"typo yahooo", "jane@yahooo.com", "jane@yahooo.com", []string{CodeSuspectedTypo}, "jane@yahoo.com"},
		{"typo outlok", "jane@outlok.com", "jane@outlok.com", []string{CodeSuspectedTypo}, "jane@outlook.com"},
		{"typo iclod", "jane@iclod.com", "jane@iclod.com", []string{CodeSuspectedTypo}, "jane@icloud.com"},
		{"typo aol.co", "jane@aol.co", "jane@aol.co", []string{CodeSuspectedTypo}, "jane@aol.com"},
		{"typo by distance", "jane@gmaiil.com", "jane@gmaiil.com", []string{CodeSuspectedTypo}, "jane@gmail.com"},
		{"typo tld con", "jane@firm.con", "jane@firm.con", []string{CodeSuspectedTypo}, "jane@firm.com"},
		{"typo long distance 2", "jane@sbcglobl.nett", "jane@sbcglobl.nett", []string{CodeSuspectedTypo}, "jane@sbcglobal.net"},
		{"no typo for real domain", "jane@gmx.com", "jane@gmx.com", nil, ""},
		{"no typo for canadian hotmail", "jane@hotmail.ca", "jane@hotmail.ca", nil, ""},
		{"no typo for firm domain", "jane@smithlaw.com", "jane@smithlaw.com", nil, ""},
		{"placeholder none", "none", "", nil, ""},
		{"placeholder no email", "No Email", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Email(tt.raw)
			gotA := ""
			if got.Address != nil {
				gotA = *got.Address
			}
			if gotA != tt.want {
				t.Errorf("Email(%q).Address = %q, want %q", tt.raw, gotA, tt.want)
			}
			if codes := findingCodes(got.Findings); !slices.Equal(codes, tt.codes) {
				t.Errorf("Email(%q) findings = %v, want %v", tt.raw, codes, tt.codes)
			}
			if len(got.Findings) > 0 && got.Findings[0].Suggestion != tt.sugg {
				t.Errorf("Email(%q) suggestion = %q, want %q", tt.raw, got.Findings[0].Suggestion, tt.sugg)
			}
		})
	}
}

func TestOSADistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"gmail.com", "gmail.com", 0},
		{"gmial.com", "gmail.com", 1},
		{"gmai.com", "gmail.com", 1},
		{"yahooo.com", "yahoo.com", 1},
		{"hotmail.com", "hitmial.com", 2},
	}
	for _, tt := range tests {
		if got := osaDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("osaDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
