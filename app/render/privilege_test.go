package render

import (
	"reflect"
	"testing"
)

func TestScanPrivileged(t *testing.T) {
	words := []string{"felony", "plea deal", "acusación"}
	tests := []struct {
		name string
		text string
		want []Hit
	}{
		{"settlement SMS", "We have received a settlement offer.", nil},
		{"court reminder", "Your court date is Monday, March 16, 2026 at 9:30 AM. Call (555) 555-0100.", nil},
		{"case number and phone", "Case 2026-CV-01482, call 555-123-4567 or +1 555 555 0100", nil},
		{"satisfaction", "On a scale of 0-10, how likely are you to recommend us?", nil},
		{"date without birth words", "Filed 01/02/1980 in county court", nil},
		{"SSN dashes", "SSN 123-45-6789 on file", []Hit{{HitSSN, "123-45-6789", 4}}},
		{"SSN spaces", "ssn: 123 45 6789", []Hit{{HitSSN, "123 45 6789", 5}}},
		{"DOB numeric", "DOB 01/02/1980", []Hit{{HitDateOfBirth, "DOB 01/02/1980", 0}}},
		{"DOB colon", "Client D.O.B.: 1980-01-02.", []Hit{{HitDateOfBirth, "D.O.B.: 1980-01-02", 7}}},
		{"born on words", "She was born on March 3, 1980.", []Hit{{HitDateOfBirth, "born on March 3, 1980", 8}}},
		{"date of birth", "Date of birth is 3 January 1980", []Hit{{HitDateOfBirth, "Date of birth is 3 January 1980", 0}}},
		{"spanish birth", "Fecha de nacimiento: 2 de enero de 1980", []Hit{{HitDateOfBirth, "Fecha de nacimiento: 2 de enero de 1980", 0}}},
		{"birthday without year is not a full date", "Happy birthday on March 3!", nil},
		{"dollars sign", "Offer of $12,500 received", []Hit{{HitAmount, "$12,500", 9}}},
		{"dollars cents", "pay $99.95 today", []Hit{{HitAmount, "$99.95", 4}}},
		{"dollars million", "a $1.2 million verdict", []Hit{{HitAmount, "$1.2 million", 2}}},
		{"USD prefix", "USD 5000 offered", []Hit{{HitAmount, "USD 5000", 0}}},
		{"dollars word", "50,000 dollars", []Hit{{HitAmount, "50,000 dollars", 0}}},
		{"spanish dollars", "una oferta de 20 mil dólares", []Hit{{HitAmount, "20 mil dólares", 14}}},
		{"sensitive word case-insensitive", "About your FELONY charge", []Hit{{HitSensitiveWord, "FELONY", 11}}},
		{"sensitive phrase", "the Plea Deal is ready", []Hit{{HitSensitiveWord, "Plea Deal", 4}}},
		{"sensitive word not inside another word", "felonyish and misfelony", nil},
		{"accented sensitive word", "Sobre la Acusación.", []Hit{{HitSensitiveWord, "Acusación", 9}}},
		{"several hits in order", "$500 for SSN 123-45-6789, felony", []Hit{
			{HitAmount, "$500", 0}, {HitSSN, "123-45-6789", 13}, {HitSensitiveWord, "felony", 26}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ScanPrivileged(tt.text, words)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ScanPrivileged(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}
