package ingest_test

import (
	"reflect"
	"testing"

	"github.com/heraldhq/herald/app/ingest"
)

// FuzzParseSignature checks the header parser never panics, that whatever it
// accepts is well-formed, and that formatting and re-parsing round-trips.
// Seeds live in testdata/fuzz/FuzzParseSignature.
func FuzzParseSignature(f *testing.F) {
	f.Fuzz(func(t *testing.T, h string) {
		sig, err := ingest.ParseSignature(h)
		if err != nil {
			return
		}
		if sig.Timestamp <= 0 || len(sig.V1) == 0 {
			t.Fatalf("ParseSignature(%q) accepted %+v without a timestamp or v1", h, sig)
		}
		for _, m := range sig.V1 {
			if len(m) != 32 {
				t.Fatalf("ParseSignature(%q) accepted a %d-byte mac", h, len(m))
			}
		}
		again, err := ingest.ParseSignature(sig.String())
		if err != nil || !reflect.DeepEqual(again, sig) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", sig.String(), again, err, sig)
		}
	})
}
