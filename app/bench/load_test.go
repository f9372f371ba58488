package bench

import (
	"os"
	"testing"
)

func TestPercentilesNearestRank(t *testing.T) {
	var hundred []float64
	for i := 100; i >= 1; i-- {
		hundred = append(hundred, float64(i))
	}
	tests := []struct {
		name    string
		samples []float64
		want    *Percentiles
	}{
		{"none", nil, nil},
		{"one", []float64{7}, &Percentiles{Samples: 1, P50: 7, P95: 7, P99: 7, P999: 7, Max: 7}},
		{"1..100 unsorted", hundred, &Percentiles{Samples: 100, P50: 50, P95: 95, P99: 99, P999: 100, Max: 100}},
	}
	for _, tt := range tests {
		got := percentiles(tt.samples)
		if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("%s: percentiles = %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if hundred[0] != 100 {
		t.Errorf("percentiles sorted its input in place")
	}
}

func TestRateCheck(t *testing.T) {
	for _, tt := range []struct {
		requested, achieved float64
		pass                bool
	}{{2000, 1999, true}, {2000, 1980, true}, {2000, 1979, false}, {0, 10, false}} {
		if got := rateCheck("herald", tt.requested, tt.achieved); got.Pass != tt.pass {
			t.Errorf("rateCheck(%v, %v) = %+v, want pass %v", tt.requested, tt.achieved, got, tt.pass)
		}
	}
}

func TestPeakRSSOfThisProcess(t *testing.T) {
	mb, err := peakRSSMB(os.Getpid())
	if err != nil || mb <= 1 || mb > 64<<10 {
		t.Fatalf("peakRSSMB(self) = %.1f MB, %v; want a plausible size", mb, err)
	}
	if _, err := peakRSSMB(-1); err == nil {
		t.Errorf("peakRSSMB(-1) succeeded, want an error")
	}
}
