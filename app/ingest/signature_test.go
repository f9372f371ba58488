package ingest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/ingest"
)

func TestParseSignature(t *testing.T) {
	hexA := strings.Repeat("ab", 32)
	hexB := strings.Repeat("0f", 32)
	tests := []struct {
		name, header string
		wantTS       int64
		wantV1       int
		wantErr      string
	}{
		{"one signature", "t=1700000000,v1=" + hexA, 1700000000, 1, ""},
		{"rotation: two signatures, spaces", " t=1700000000 , v1=" + hexA + ", v1=" + hexB, 1700000000, 2, ""},
		{"unknown scheme ignored", "t=1700000000,v0=zz,v1=" + hexA, 1700000000, 1, ""},
		{"missing", "", 0, 0, "header is missing"},
		{"no timestamp", "v1=" + hexA, 0, 0, "no t= timestamp"},
		{"no v1", "t=1700000000,v0=" + hexA, 0, 0, "no v1= signature"},
		{"two timestamps", "t=1,t=2,v1=" + hexA, 0, 0, "more than one t="},
		{"timestamp not a number", "t=yesterday,v1=" + hexA, 0, 0, "is not Unix seconds"},
		{"negative timestamp", "t=-5,v1=" + hexA, 0, 0, "is not Unix seconds"},
		{"plus-signed timestamp", "t=+5,v1=" + hexA, 0, 0, "is not Unix seconds"},
		{"short mac", "t=1700000000,v1=abcd", 0, 0, "not 64 hex digits"},
		{"not hex", "t=1700000000,v1=" + strings.Repeat("zz", 32), 0, 0, "not 64 hex digits"},
		{"not key=value", "t=1700000000,garbage,v1=" + hexA, 0, 0, "is not key=value"},
		{"too many parts", "t=1" + strings.Repeat(",v1="+hexA, 16), 0, 0, "at most 16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ingest.ParseSignature(tt.header)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSignature(%q) error = %v, want it to mention %q", tt.header, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSignature(%q) error = %v", tt.header, err)
			}
			if got.Timestamp != tt.wantTS || len(got.V1) != tt.wantV1 {
				t.Errorf("ParseSignature(%q) = t %d, %d v1; want t %d, %d v1", tt.header, got.Timestamp, len(got.V1), tt.wantTS, tt.wantV1)
			}
		})
	}
}

func TestHMACVerifier(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"evt_1"}`)
	v := ingest.HMACVerifier{Source: "generic", Secrets: []string{"old-secret", "new-secret"}}
	hdr := func(s string) map[string]string { return map[string]string{"herald-signature": s} }
	oldAndNew := ingest.Sign("old-secret", now, body) + "," + strings.Split(ingest.Sign("new-secret", now, body), ",")[1]
	tests := []struct {
		name    string
		v       ingest.HMACVerifier
		headers map[string]string
		body    []byte
		wantErr string
	}{
		{"current secret", v, hdr(ingest.Sign("new-secret", now, body)), body, ""},
		{"previous secret during rotation", v, hdr(ingest.Sign("old-secret", now, body)), body, ""},
		{"CMS sends both signatures", v, hdr(oldAndNew), body, ""},
		{"4m59s old is inside the window", v, hdr(ingest.Sign("new-secret", now.Add(-299*time.Second), body)), body, ""},
		{"wrong secret", v, hdr(ingest.Sign("guess", now, body)), body, "signature does not match the body"},
		{"body changed", v, hdr(ingest.Sign("new-secret", now, body)), []byte(`{"id":"evt_2"}`), "does not match"},
		{"stale", v, hdr(ingest.Sign("new-secret", now.Add(-412*time.Second), body)), body,
			"signature timestamp 412s old; replay window is 300s"},
		{"from the future", v, hdr(ingest.Sign("new-secret", now.Add(10*time.Minute), body)), body,
			"signature timestamp 600s in the future"},
		{"missing header", v, map[string]string{}, body, "Herald-Signature header is missing"},
		{"no secret configured", ingest.HMACVerifier{Source: "acme-cms"}, hdr(ingest.Sign("x", now, body)), body,
			"set HERALD_WEBHOOK_SECRET_ACME_CMS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Verify(tt.headers, tt.body, now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want ok", err)
				}
				return
			}
			if !errors.Is(err, derrors.Unauthorized) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Verify = %v, want Unauthorized mentioning %q", err, tt.wantErr)
			}
		})
	}
}
