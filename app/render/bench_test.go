package render

import (
	"testing"
)

func BenchmarkRender(b *testing.B) {
	email := Template{Channel: ChannelEmail, Subject: "Update on Case: {{ case_number }}",
		HTML: `<p>Hi {{ client_first_name }},</p><p>Your {{ next_court_event_type|lower }} is {{ next_court_date|format_date:"when" }}` +
			` ({{ next_court_date|days_until }} days).</p>{% if portal_link %}<p><a href="{{ portal_link }}">Portal</a></p>{% endif %}` +
			`<p>{{ assigned_attorney_name|default:"Your team" }}<br>{{ firm_name }} &middot; {{ firm_phone }}</p>`}
	sms := Template{Channel: ChannelSMS, SMS: `{{ firm_name }}: Hi {{ client_first_name }}, your court date is {{ next_court_date|format_date:"when" }}. Reply C to confirm.`}
	for _, bc := range []struct {
		name string
		tpl  Template
	}{{"email", email}, {"sms", sms}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newTestEngine()
			v := SampleVars()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Render(bc.tpl, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCompileCache(t *testing.T) {
	e := newTestEngine()
	tpl := Template{Channel: ChannelSMS, SMS: "Hi {{ client_first_name }}"}
	for range 3 {
		if _, err := e.Render(tpl, SampleVars()); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.cache); got != 1 {
		t.Errorf("len(cache) = %d after three renders of one version, want 1", got)
	}
	tpl.SMS += "!"
	if _, err := e.Render(tpl, SampleVars()); err != nil {
		t.Fatal(err)
	}
	if got := len(e.cache); got != 2 {
		t.Errorf("len(cache) = %d after a new version, want 2", got)
	}
}

func TestRenderConcurrent(t *testing.T) {
	e := newTestEngine()
	tpl := Template{Channel: ChannelEmail, Subject: "Case {{ case_number }}", HTML: `<p>{{ next_court_date|format_date:"when" }}</p>`}
	want, err := e.Render(tpl, SampleVars())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan Rendered)
	for range 8 {
		go func() {
			got, _ := e.Render(tpl, SampleVars())
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; got != want {
			t.Errorf("concurrent Render() = %+v, want %+v", got, want)
		}
	}
}
