package normalize

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestRunNormalize(t *testing.T) {
	input := strings.Join([]string{
		`{"id":"e1","data":{"case_id":"C-1","client_id":"CL-1","current_attributes":{"status":"Retained"}}}`,
		`{"id":"e2","data":{"case_id":"C-2",oops}}`,
		``,
		`{"id":"e3","data":{"client_id":"CL-3"}}`,
		`{"id":"e4","data":{"case_id":"C-4","client_id":"CL-4","current_attributes":{"next_court_date":"4/3/2026"}}}`,
	}, "\n")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantIDs    []string
		wantStderr []string
		check      func(t *testing.T, lines []map[string]any)
	}{
		{"jsonl with bad lines", []string{"--date-order", "DMY"}, input, 1, []string{"C-1", "C-4"},
			[]string{"stdin:2:36: invalid JSON", "stdin:4: normalize: case_id is missing"},
			func(t *testing.T, lines []map[string]any) {
				dates := lines[1]["dates"].(map[string]any)
				if got := dates["next_court_date"]; got != "2026-03-04" {
					t.Errorf("DMY next_court_date = %v, want 2026-03-04", got)
				}
			}},
		{"pretty single event", nil, "{\n  \"data\": {\n    \"case_id\": \"P-1\"\n  }\n}\n", 0, []string{"P-1"}, nil, nil},
		{"array of events", nil, `[{"data":{"case_id":"A-1"}},{"data":{"case_id":"A-2"}}]`, 0, []string{"A-1", "A-2"}, nil, nil},
		{"mapping file", []string{"--mapping", writeFile(t, "m.yaml", "name: m\nkind: webhook\nfields: {case_id: ref}\n")},
			`{"ref":"R-1"}`, 0, []string{"R-1"}, nil, nil},
		{"unknown source", []string{"--source", "nope"}, ``, 2, nil, []string{"nope"}, nil},
		{"bad flag", []string{"--bogus"}, ``, 2, nil, []string{"bogus", "Usage"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := RunNormalize(context.Background(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr, noEnv)
			if code != tt.wantCode {
				t.Errorf("exit = %d, want %d (stderr %s)", code, tt.wantCode, stderr.String())
			}
			var lines []map[string]any
			var ids []string
			for _, l := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
				if l == "" {
					continue
				}
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					t.Fatalf("stdout line %q is not JSON: %v", l, err)
				}
				lines = append(lines, m)
				ids = append(ids, m["case_id"].(string))
			}
			if strings.Join(ids, ",") != strings.Join(tt.wantIDs, ",") {
				t.Errorf("case ids = %v, want %v", ids, tt.wantIDs)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr = %q, want it to contain %q", stderr.String(), want)
				}
			}
			if tt.check != nil {
				tt.check(t, lines)
			}
		})
	}
}

func TestRunNormalizeHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := RunNormalize(context.Background(), []string{"--help"}, strings.NewReader(""), &stdout, &stderr, noEnv); code != 0 {
		t.Errorf("--help exit = %d, want 0", code)
	}
	for _, want := range []string{"Usage: herald normalize", "-source", "-date-order"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--help output %q, want it to contain %q", stdout.String(), want)
		}
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatalf("write %s: %v", p, err)
	}
	return p
}
