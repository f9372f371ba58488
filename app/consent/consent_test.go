package consent_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/consent"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/store/storetest"
)

func TestRecordAndIsOptedOut(t *testing.T) {
	db, _ := storetest.NewDB(t)
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	s := consent.New(db, clk)
	ctx := context.Background()

	steps := []struct {
		name    string
		event   consent.Event
		channel string
		address string
		want    bool
	}{
		{"nothing recorded", consent.Event{}, "sms", "+13125550134", false},
		{"STOP by keyword", consent.Event{Channel: "sms", Address: "+13125550134", Action: consent.OptOut, Source: consent.SourceKeyword, Text: "STOP"}, "sms", "+13125550134", true},
		{"other channel unaffected", consent.Event{}, "email", "+13125550134", false},
		{"START opts back in", consent.Event{Channel: "sms", Address: "+13125550134", Action: consent.OptIn, Source: consent.SourceKeyword, Text: "START"}, "sms", "+13125550134", false},
		{"email case-folded", consent.Event{Channel: "email", Address: " Ana@Example.com ", Action: consent.OptOut, Source: consent.SourceUnsubscribeEvent}, "email", "ana@example.COM", true},
	}
	for _, st := range steps {
		if st.event.Channel != "" {
			if err := s.Record(ctx, nil, st.event); err != nil {
				t.Fatalf("%s: Record: %v", st.name, err)
			}
			clk.Advance(time.Minute)
		}
		got, err := s.IsOptedOut(ctx, st.channel, st.address)
		if err != nil {
			t.Fatalf("%s: IsOptedOut: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: IsOptedOut(%s, %s) = %v, want %v", st.name, st.channel, st.address, got, st.want)
		}
	}
	h, err := s.History(ctx, "sms", "+13125550134")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[0].Text != "STOP" || h[1].Action != consent.OptIn || h[0].Actor != "client" {
		t.Errorf("history = %+v, want STOP opt_out then opt_in by client", h)
	}
}

func TestRecordInCallerTransactionRollsBack(t *testing.T) {
	db, _ := storetest.NewDB(t)
	s := consent.New(db, clock.NewFake(time.Now()))
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, tx, consent.Event{Channel: "sms", Address: "+13125550134", Action: consent.OptOut, Source: consent.SourceStaff, Actor: "ops@firm"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.IsOptedOut(ctx, "sms", "+13125550134")
	if err != nil || got {
		t.Errorf("after rollback IsOptedOut = %v, %v; want false, nil", got, err)
	}
}

func TestRecordValidates(t *testing.T) {
	db, _ := storetest.NewDB(t)
	s := consent.New(db, clock.NewFake(time.Now()))
	tests := []struct {
		name  string
		event consent.Event
		field string
	}{
		{"bad channel", consent.Event{Channel: "fax", Address: "x", Action: consent.OptOut, Source: consent.SourceStaff}, "channel"},
		{"no address", consent.Event{Channel: "sms", Action: consent.OptOut, Source: consent.SourceStaff}, "address"},
		{"bad action", consent.Event{Channel: "sms", Address: "+13125550134", Action: "maybe", Source: consent.SourceStaff}, "action"},
		{"bad source", consent.Event{Channel: "sms", Address: "+13125550134", Action: consent.OptOut, Source: "rumour"}, "source"},
	}
	for _, tt := range tests {
		err := s.Record(context.Background(), nil, tt.event)
		var fs derrors.Fields
		if !errors.Is(err, derrors.InvalidArgument) || !errors.As(err, &fs) || fs[0].Field != tt.field {
			t.Errorf("%s: err = %v, want InvalidArgument naming %q", tt.name, err, tt.field)
		}
	}
}
