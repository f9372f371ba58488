package normalize

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestPathLookup(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"a":{"b":[{"n":"x","v":1},{"n":"y","v":"two"}],"0":"key zero","nil":null},
		"cf":[{"field_name":"Next Court Date","value":"2026-03-04"}]}`))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"a.b.0.n", "x", true},
		{"a.b[1].v", "two", true},
		{"a.b.1.v", "two", true},
		{"a.b[n=y].v", "two", true},
		{"a.b[n=x].v", "1", true},
		{"cf[field_name=Next Court Date].value", "2026-03-04", true},
		{"a.0", "key zero", true},
		{"a.b.5", "", false},
		{"a.b[n=z].v", "", false},
		{"a.missing", "", false},
		{"a.b.0.n.deeper", "", false},
		{"a.nil", "<nil>", true},
	}
	for _, tt := range tests {
		p, err := ParsePath(tt.path)
		if err != nil {
			t.Fatalf("ParsePath(%q): %v", tt.path, err)
		}
		v, ok := p.Lookup(doc)
		got, isScalar := scalarString(v)
		if v == nil && ok {
			got, isScalar = "<nil>", true
		}
		if ok != tt.ok || (ok && (!isScalar || got != tt.want)) {
			t.Errorf("Lookup(%q) = %v, %v; want %q, %v", tt.path, v, ok, tt.want, tt.ok)
		}
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, p := range []string{"", "a..b", "a[", "a[x]", ".a", "a."} {
		if _, err := ParsePath(p); err == nil {
			t.Errorf("ParsePath(%q) = nil error, want an error", p)
		}
	}
}
