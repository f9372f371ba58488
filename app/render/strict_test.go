package render

import (
	"errors"
	"strings"
	"testing"
)

func TestLintStrict(t *testing.T) {
	tests := []struct {
		name    string
		tpl     Template
		want    []Problem // compared on Part, Line, Column, Severity and message substring
		wantNil bool
	}{
		{
			name: "misspelled variable with suggestion",
			tpl:  Template{Channel: ChannelSMS, SMS: "Hi {{ client_frist_name }}"},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 7, Severity: SeverityError,
				Message: `unknown variable "client_frist_name" (did you mean "client_first_name"?)`}},
		},
		{
			name: "unknown filter on line 2 after multibyte text",
			tpl:  Template{Channel: ChannelSMS, SMS: "Hola\nAquí {{ next_court_date | fecha }}"},
			want: []Problem{{Part: PartSMS, Line: 2, Column: 27, Severity: SeverityError, Message: `unknown filter "fecha"`}},
		},
		{
			name: "unknown variable in subject",
			tpl:  Template{Channel: ChannelEmail, Subject: "Case {{ case_no }}", HTML: "<p>x</p>"},
			want: []Problem{{Part: PartSubject, Line: 1, Column: 9, Severity: SeverityError, Message: `unknown variable "case_no"`}},
		},
		{
			name: "unknown variable in filter argument",
			tpl:  Template{Channel: ChannelSMS, SMS: `{{ firm_name|default:firm_fone }}`},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 22, Severity: SeverityError, Message: `unknown variable "firm_fone" (did you mean "firm_phone"?)`}},
		},
		{
			name: "syntax error from pongo2 keeps its position",
			tpl:  Template{Channel: ChannelEmail, Subject: "s", HTML: "<p>\n{% if firm_name %}x"},
			want: []Problem{{Part: PartHTML, Line: 2, Severity: SeverityError, Message: "endif"}},
		},
		{
			name: "unclosed variable",
			tpl:  Template{Channel: ChannelSMS, SMS: "Hi {{ client_first_name"},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 4, Severity: SeverityError, Message: "not closed"}},
		},
		{
			name: "attribute access into a Go value",
			tpl:  Template{Channel: ChannelSMS, SMS: "{{ next_court_date.T }}"},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 19, Severity: SeverityError, Message: "has no attributes"}},
		},
		{
			name: "function call",
			tpl:  Template{Channel: ChannelSMS, SMS: "{{ lookup(case_id) }}"},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 4, Severity: SeverityError, Message: "function calls are not allowed"}},
		},
		{
			name: "runtime filter error found by the sample render",
			tpl:  Template{Channel: ChannelSMS, SMS: "Due {{ filing_deadline|format_time }}"},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 24, Severity: SeverityError, Message: "date without a time"}},
		},
		{
			name: "loop, set and with variables are in scope",
			tpl: Template{Channel: ChannelSMS, SMS: `{% set who = client_first_name %}{% for c in "ab" %}{{ c }}{{ forloop.Counter }}{% endfor %}` +
				`{% with n=firm_name %}{{ n }} {{ who }}{% endwith %}{% with firm_phone as p %}{{ p }}{% endwith %}`},
			wantNil: true,
		},
		{
			name: "loop variable out of scope after endfor",
			tpl:  Template{Channel: ChannelSMS, SMS: `{% for c in "ab" %}{{ c }}{% endfor %}{{ c }}`},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 42, Severity: SeverityError, Message: `unknown variable "c"`}},
		},
		{
			name:    "comments are not checked",
			tpl:     Template{Channel: ChannelSMS, SMS: `Hi{# {{ nope }} #}{% comment %}{{ nope }}{% endcomment %}`},
			wantNil: true,
		},
		{
			name: "email without subject",
			tpl:  Template{Channel: ChannelEmail, HTML: "<p>x</p>"},
			want: []Problem{{Part: PartSubject, Severity: SeverityError, Message: "needs a subject"}},
		},
		{
			name: "privileged content in SMS is a warning",
			tpl:  Template{Channel: ChannelSMS, SMS: "Hi {{ client_first_name }},\nthe offer is $12,500."},
			want: []Problem{{Part: PartSMS, Line: 2, Column: 14, Severity: SeverityWarning, Message: `amount "$12,500"`}},
		},
		{
			name: "long SMS is a warning",
			tpl:  Template{Channel: ChannelSMS, SMS: strings.Repeat("word ", 100)},
			want: []Problem{{Part: PartSMS, Line: 1, Column: 1, Severity: SeverityWarning, Message: "4 segments"}},
		},
	}
	e := newTestEngine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Lint(tt.tpl)
			if tt.wantNil {
				if len(got) != 0 {
					t.Fatalf("Lint() = %v, want no problems", got)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Lint() = %v, want %d problems like %v", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Part != w.Part || g.Line != w.Line || (w.Column != 0 && g.Column != w.Column) ||
					g.Severity != w.Severity || !strings.Contains(g.Message, w.Message) {
					t.Errorf("Lint()[%d] = %s, want %s", i, g, w)
				}
			}
		})
	}
}

func TestRenderStrict(t *testing.T) {
	tests := []struct {
		name        string
		tpl         Template
		vars        func(*Vars)
		wantMissing bool
		wantMsg     string
	}{
		{
			name:    "unknown variable",
			tpl:     Template{Channel: ChannelSMS, SMS: "Hi\n  {{ client_frist_name }}"},
			wantMsg: `sms:2:6: error: unknown variable "client_frist_name"`,
		},
		{
			name:    "unknown filter",
			tpl:     Template{Channel: ChannelEmail, Subject: "x", HTML: "{{ case_number|shout }}"},
			wantMsg: `html:1:16: error: unknown filter "shout"`,
		},
		{
			name:        "empty value without default",
			tpl:         Template{Channel: ChannelSMS, SMS: "Court on {{ next_court_date|format_date }}"},
			vars:        func(v *Vars) { v.NextCourtDate = Date{} },
			wantMissing: true,
			wantMsg:     `sms:1:13: error: "next_court_date" is empty`,
		},
		{
			name:    "format_time on a date-only value",
			tpl:     Template{Channel: ChannelSMS, SMS: "At {{ next_court_date|format_time }}"},
			vars:    func(v *Vars) { v.NextCourtDate = Day(2026, 3, 16) },
			wantMsg: "sms:1:23: error: format_time: the value is a date without a time of day",
		},
		{
			name:    "unknown channel",
			tpl:     Template{Channel: "fax"},
			wantMsg: `unknown channel "fax"`,
		},
	}
	e := newTestEngine()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := SampleVars()
			if tt.vars != nil {
				tt.vars(&v)
			}
			_, err := e.Render(tt.tpl, v)
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("Render() error = %v, want it to wrap ErrTemplate", err)
			}
			if got := errors.Is(err, ErrMissingValue); got != tt.wantMissing {
				t.Errorf("errors.Is(err, ErrMissingValue) = %v, want %v", got, tt.wantMissing)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Render() error = %q, want it to contain %q", err, tt.wantMsg)
			}
		})
	}
}

func TestRenderGuardedValues(t *testing.T) {
	tpl := Template{Channel: ChannelSMS, SMS: `{{ assigned_attorney_name|default:"your team" }}` +
		`{% if portal_link %} {{ portal_link }}{% endif %}{{ confirm_instructions }}`}
	v := SampleVars()
	v.AssignedAttorneyName, v.PortalLink, v.ConfirmInstructions = "", "", ""
	got, err := newTestEngine().Render(tpl, v)
	if err != nil {
		t.Fatalf("Render() error: %v", err)
	}
	if want := "your team"; got.SMS != want {
		t.Errorf("Render().SMS = %q, want %q", got.SMS, want)
	}
}

func TestRenderEscaping(t *testing.T) {
	v := SampleVars()
	v.ClientFirstName = `<b>Ana</b> & "Bo"`
	tpl := Template{Channel: ChannelEmail, Subject: "Hi {{ client_first_name }}", HTML: "<p>Hi {{ client_first_name }}</p>"}
	got, err := newTestEngine().Render(tpl, v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `Hi <b>Ana</b> & "Bo"`; got.Subject != want {
		t.Errorf("Subject = %q, want %q (subjects are plain text)", got.Subject, want)
	}
	if want := `<p>Hi &lt;b&gt;Ana&lt;/b&gt; &amp; &quot;Bo&quot;</p>`; got.HTML != want {
		t.Errorf("HTML = %q, want %q", got.HTML, want)
	}
	if want := `Hi <b>Ana</b> & "Bo"`; got.Text != want {
		t.Errorf("Text = %q, want %q", got.Text, want)
	}
	sms, err := newTestEngine().Render(Template{Channel: ChannelSMS, SMS: "Hi {{ client_first_name }}"}, v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `Hi <b>Ana</b> & "Bo"`; sms.SMS != want {
		t.Errorf("SMS = %q, want %q (SMS is not escaped)", sms.SMS, want)
	}
}

func TestRenderSubjectIsOneLine(t *testing.T) {
	v := SampleVars()
	v.CaseNumber = "A\r\nBcc: evil@example.com"
	got, err := newTestEngine().Render(Template{Channel: ChannelEmail, Subject: "Case {{ case_number }}", HTML: "x"}, v)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(got.Subject, "\r\n") {
		t.Errorf("Subject = %q, want no line breaks", got.Subject)
	}
}

func TestSandbox(t *testing.T) {
	tags := []string{
		`{% include "/etc/passwd" %}`,
		`{% import "macros.html" m %}`,
		`{% extends "base.html" %}`,
		`{% ssi "/etc/passwd" %}`,
		`{% macro m() %}x{% endmacro %}`,
		`{% now "2006" %}`,
		`{% autoescape off %}{{ firm_name }}{% endautoescape %}`,
		`{{ firm_name|safe }}`,
		`{{ firm_name|stringformat:"%#v" }}`,
		`{{ pongo2.version }}`,
	}
	e := newTestEngine()
	for _, src := range tags {
		t.Run(src, func(t *testing.T) {
			tpl := Template{Channel: ChannelEmail, Subject: "s", HTML: src}
			if ps := e.Lint(tpl); !hasErrors(ps) {
				t.Errorf("Lint(%q) = %v, want an error", src, ps)
			}
			if _, err := e.Render(tpl, SampleVars()); !errors.Is(err, ErrTemplate) {
				t.Errorf("Render(%q) error = %v, want ErrTemplate", src, err)
			}
		})
	}
}

func TestSandboxTemplateSet(t *testing.T) {
	// The pongo2 set itself refuses file access, even without the scanner.
	set := newSet()
	for _, src := range []string{`{% include "x" %}`, `{% extends "x" %}`, `{% ssi "/etc/passwd" %}`, `{% import "x" y %}`, `{{ "x"|safe }}`} {
		if _, err := set.FromString(src); err == nil {
			t.Errorf("FromString(%q) error = nil, want a sandbox error", src)
		}
	}
	if _, err := set.FromFile("/etc/passwd"); err == nil {
		t.Error("FromFile(/etc/passwd) error = nil, want the loader to refuse")
	}
}
