package templates

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestDefaults(t *testing.T) {
	ds, err := Defaults()
	if err != nil {
		t.Fatalf("Defaults() error: %v", err)
	}
	if len(ds) == 0 {
		t.Fatal("Defaults() returned no templates")
	}
	for _, d := range ds {
		if d.Name == "" || d.Description == "" {
			t.Errorf("%s.%s.%s: name and description are required in meta.yaml", d.Key, d.Language, d.Channel)
		}
		switch d.Channel {
		case "email":
			if d.Subject == "" || d.HTML == "" || d.SMS != "" {
				t.Errorf("%s.%s email: got subject %q, html %d bytes, sms %q; want subject and html only", d.Key, d.Language, d.Subject, len(d.HTML), d.SMS)
			}
		case "sms":
			if d.SMS == "" || d.Subject != "" || d.HTML != "" {
				t.Errorf("%s.%s sms: want only SMS set", d.Key, d.Language)
			}
		default:
			t.Errorf("%s.%s: channel %q, want email or sms", d.Key, d.Language, d.Channel)
		}
	}
}

func TestLoadLayout(t *testing.T) {
	meta := &fstest.MapFile{Data: []byte("name: Hello\ndescription: A test.\ntrigger: manual\n")}
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []Default
		wantErr bool
	}{
		{
			name: "email with text and sms",
			fs: fstest.MapFS{
				"hello/meta.yaml":     meta,
				"hello/en.email.html": {Data: []byte("Subject: Hi {{ client_first_name }}\n\n<p>Hi</p>\n")},
				"hello/en.email.txt":  {Data: []byte("Hi\r\n")},
				"hello/es.sms.txt":    {Data: []byte("Hola\n\n")},
			},
			want: []Default{
				{Key: "hello", Language: "en", Channel: "email", Name: "Hello", Description: "A test.", Trigger: "manual",
					Subject: "Hi {{ client_first_name }}", HTML: "<p>Hi</p>", Text: "Hi"},
				{Key: "hello", Language: "es", Channel: "sms", Name: "Hello", Description: "A test.", Trigger: "manual", SMS: "Hola"},
			},
		},
		{name: "missing meta", fs: fstest.MapFS{"x/en.sms.txt": {Data: []byte("hi")}}, wantErr: true},
		{name: "meta without name", fs: fstest.MapFS{"x/meta.yaml": {Data: []byte("description: d\n")}}, wantErr: true},
		{name: "unknown file", fs: fstest.MapFS{"x/meta.yaml": meta, "x/en.fax.txt": {Data: []byte("hi")}}, wantErr: true},
		{name: "email without subject line", fs: fstest.MapFS{"x/meta.yaml": meta, "x/en.email.html": {Data: []byte("<p>Hi</p>")}}, wantErr: true},
		{name: "subject without blank line", fs: fstest.MapFS{"x/meta.yaml": meta, "x/en.email.html": {Data: []byte("Subject: a\n<p>Hi</p>")}}, wantErr: true},
		{name: "text without html", fs: fstest.MapFS{"x/meta.yaml": meta, "x/en.email.txt": {Data: []byte("Hi")}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := load(tt.fs)
			if tt.wantErr {
				if !errors.Is(err, ErrLayout) {
					t.Fatalf("load() error = %v, want ErrLayout", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("load() error: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("load() = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("load()[%d] = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}
