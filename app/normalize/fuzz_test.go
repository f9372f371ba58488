package normalize

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/app/sanitize"
)

var allowedCodes = []string{
	sanitize.CodeInvalidPhone, sanitize.CodeNotMobile, sanitize.CodeInvalidEmail, sanitize.CodeSuspectedTypo,
	sanitize.CodeMultipleValues, sanitize.CodeUnparseableDate, sanitize.CodeUnknownStatus, sanitize.CodeMissingField,
}

func FuzzNormalize(f *testing.F) {
	f.Add([]byte(fullEnvelope))
	f.Add([]byte(`{"data":{"case_id":"C-1","current_attributes":{"client_mobile_phone":"N/A"}}}`))
	f.Add([]byte("{\"id\": 1,\n \"data\": x}"))
	n := newTestNormalizer(f, loadSource(f, "generic"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		res, err := n.Normalize(raw)
		var se *SyntaxError
		switch {
		case errors.As(err, &se):
			if se.Line < 1 || se.Column < 1 || se.Offset < 0 || se.Offset > int64(len(raw)) {
				t.Fatalf("Normalize(%q) syntax error position %d:%d byte %d out of range", raw, se.Line, se.Column, se.Offset)
			}
			return
		case errors.Is(err, ErrNotJSON):
			return
		case err != nil && !errors.Is(err, ErrMissingCaseID):
			t.Fatalf("Normalize(%q) unexpected error %v", raw, err)
		}
		if json.Valid(raw) == false {
			t.Fatalf("Normalize(%q) accepted invalid JSON", raw)
		}
		out, merr := json.Marshal(res.Case)
		if merr != nil {
			t.Fatalf("Normalize(%q) case does not marshal: %v", raw, merr)
		}
		var back Case
		if uerr := json.Unmarshal(out, &back); uerr != nil {
			t.Fatalf("Normalize(%q) case JSON %s does not unmarshal: %v", raw, out, uerr)
		}
		if d := Diff(&res.Case, &back); !d.Empty() {
			t.Fatalf("Normalize(%q) case changes through JSON: %+v", raw, d)
		}
		if p := res.Case.Client.MobilePhone; p != nil && (!strings.HasPrefix(*p, "+") || strings.Trim((*p)[1:], "0123456789") != "") {
			t.Fatalf("Normalize(%q) mobile phone %q is not E.164", raw, *p)
		}
		for _, fd := range res.Case.Findings {
			if fd.Field == "" || !slices.Contains(allowedCodes, fd.Code) {
				t.Fatalf("Normalize(%q) finding %+v has no field or an unknown code", raw, fd)
			}
		}
	})
}
