package content_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald/app/clock"
	"github.com/heraldhq/herald/app/content"
	"github.com/heraldhq/herald/app/derrors"
	"github.com/heraldhq/herald/app/render"
	"github.com/heraldhq/herald/app/store"
	"github.com/heraldhq/herald/app/store/storetest"
	"github.com/heraldhq/herald/templates"
)

func newStore(t *testing.T) (*content.Store, *store.DB) {
	t.Helper()
	db, _ := storetest.NewDB(t)
	if _, err := content.Seed(context.Background(), db); err != nil {
		t.Fatalf("Seed: %v", err)
	}
	clk := clock.NewFake(time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	return content.New(db, render.New(render.Options{Now: clk.Now}), clk, "en"), db
}

func TestSeedIsIdempotentAndKeepsEdits(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	defs, _ := templates.Defaults()
	var n int
	db.Pool.QueryRow(ctx, `SELECT count(*) FROM message_templates WHERE current_version_id IS NOT NULL`).Scan(&n)
	if n != len(defs) || n == 0 {
		t.Fatalf("after Seed: %d templates with a current version, want %d", n, len(defs))
	}
	tpl, err := s.Current(ctx, "welcome", "en", "email")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Save(ctx, tpl.ID, content.TemplateDraft{Subject: "Welcome, {{ client_first_name }}", HTML: "<p>Edited.</p>"}, "ann"); err != nil {
		t.Fatalf("Save: %v", err)
	}
	added, err := content.Seed(ctx, db)
	if err != nil || added != 0 {
		t.Fatalf("second Seed = %d, %v; want 0 new", added, err)
	}
	got, _ := s.Get(ctx, tpl.ID)
	if got.Current.Number != 2 || got.Current.HTML != "<p>Edited.</p>" {
		t.Errorf("after reseed current = v%d %q, want the staff edit v2", got.Current.Number, got.Current.HTML)
	}
}

func TestCurrentPicksLanguage(t *testing.T) {
	s, _ := newStore(t)
	tests := []struct {
		key, lang, channel string
		wantLang           string
		wantErr            error
	}{
		{"settlement_offer", "es", "sms", "es", nil},
		{"settlement_offer", "es-MX", "sms", "es", nil},
		{"settlement_offer", "fr", "sms", "en", nil},
		{"settlement_offer", "", "email", "en", nil},
		{"welcome", "en", "sms", "", derrors.NotFound},
	}
	for _, tt := range tests {
		got, err := s.Current(context.Background(), tt.key, tt.lang, tt.channel)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("Current(%s, %s, %s) error = %v, want %v", tt.key, tt.lang, tt.channel, err, tt.wantErr)
			continue
		}
		if got.Language != tt.wantLang {
			t.Errorf("Current(%s, %s, %s) language = %q, want %q", tt.key, tt.lang, tt.channel, got.Language, tt.wantLang)
		}
	}
}

func TestSaveLintAndRollback(t *testing.T) {
	s, db := newStore(t)
	ctx := context.Background()
	tpl, err := s.Current(ctx, "settlement_offer", "en", "sms")
	if err != nil {
		t.Fatal(err)
	}
	original := tpl.Current.SMS

	_, _, err = s.Save(ctx, tpl.ID, content.TemplateDraft{SMS: "Hi {{ client_first_name }},\nyour offer from {{ client_frist_name }} is in."}, "ann")
	var fs derrors.Fields
	if !errors.As(err, &fs) || !errors.Is(err, derrors.InvalidArgument) {
		t.Fatalf("Save with unknown variable error = %v, want derrors.Fields", err)
	}
	if fs[0].Field != "sms" || !strings.Contains(fs[0].Problem, "line 2, column") {
		t.Errorf("lint error = %+v, want field sms with line 2 and a column", fs[0])
	}
	if h, _ := s.History(ctx, tpl.ID); len(h) != 1 {
		t.Fatalf("history after refused save = %d versions, want 1", len(h))
	}

	v2, _, err := s.Save(ctx, tpl.ID, content.TemplateDraft{SMS: "Offer received. Call {{ firm_phone }}.", ChangeNote: "shorter"}, "ann")
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	if v2.Number != 2 || v2.CreatedBy != "ann" || v2.ChangeNote != "shorter" {
		t.Errorf("saved version = %+v, want v2 by ann with note", v2)
	}
	v3, err := s.Rollback(ctx, tpl.ID, 1, "pat")
	if err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	cur, _ := s.Get(ctx, tpl.ID)
	if v3.Number != 3 || cur.Current.ID != v3.ID || cur.Current.SMS != original {
		t.Errorf("after rollback current = v%d %q, want v3 with the original body", cur.Current.Number, cur.Current.SMS)
	}
	if _, err := s.Rollback(ctx, tpl.ID, 9, "pat"); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Rollback to missing version error = %v, want InvalidArgument", err)
	}
	if _, _, err := s.Save(ctx, 424242, content.TemplateDraft{SMS: "x"}, "ann"); !errors.Is(err, derrors.NotFound) {
		t.Errorf("Save unknown template error = %v, want NotFound", err)
	}
	hist, _ := s.History(ctx, tpl.ID)
	if len(hist) != 3 || hist[0].Number != 3 || hist[2].SMS != original {
		t.Errorf("history = %d versions (first v%d), want 3 newest first with v1 unchanged", len(hist), hist[0].Number)
	}
	rows, _ := db.Pool.Query(ctx, `SELECT actor, action FROM audit_log WHERE target_type = 'message_template' ORDER BY id`)
	var got []string
	for rows.Next() {
		var a, b string
		rows.Scan(&a, &b)
		got = append(got, a+" "+b)
	}
	if want := "ann template.save,pat template.rollback"; strings.Join(got, ",") != want {
		t.Errorf("audit = %v, want %s", got, want)
	}
}

func TestListGroupsVariants(t *testing.T) {
	s, _ := newStore(t)
	fams, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.Key == "settlement_offer" && f.Channel == "sms" {
			if len(f.Variants) != 2 || f.Variants[0].Language != "en" || f.Variants[1].Language != "es" {
				t.Errorf("settlement_offer sms variants = %+v, want en and es", f.Variants)
			}
			return
		}
	}
	t.Errorf("List has no settlement_offer sms family")
}
