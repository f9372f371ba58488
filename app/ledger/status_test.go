package ledger_test

import (
	"testing"

	"github.com/heraldhq/herald/app/ledger"
)

func TestCanMove(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
	}{
		{"sent", "delivered", true},
		{"delivered", "sent", false},
		{"opened", "delivered", false},
		{"delivered", "opened", true},
		{"clicked", "replied", true},
		{"outcome_unknown", "sent", true},
		{"outcome_unknown", "delivered", true},
		{"sent", "dead", true},
		{"delivered", "dead", false},
		{"dead", "sent", false},
		{"dead", "pending", false},
		{"cancelled", "pending", false},
		{"pending", "cancelled", true},
		{"held", "cancelled", true},
		{"awaiting_approval", "cancelled", true},
		{"scheduled", "cancelled", true},
		{"sending", "cancelled", false},
		{"sent", "cancelled", false},
		{"failed_retrying", "cancelled", false},
		{"sent", "sent", false},
	}
	for _, tt := range tests {
		if got := ledger.CanMove(tt.from, tt.to); got != tt.want {
			t.Errorf("CanMove(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}
