// Package templates holds the default message templates a new firm starts
// with. `herald seed` loads them into the database, where staff edit them;
// see README.md for the file layout.
package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed */*.yaml */*.html */*.txt
var files embed.FS

// ErrLayout marks a template file that does not follow the layout in README.md.
var ErrLayout = errors.New("default template layout")

// Default is one default template for one language and channel.
type Default struct {
	Key         string // folder name, e.g. "court_reminder_7d"
	Language    string // "en", "es"
	Channel     string // "email" or "sms"
	Name        string // from meta.yaml, for staff
	Description string // from meta.yaml, for staff
	Trigger     string // from meta.yaml: the playbook event it is meant for
	Subject     string // email only
	HTML        string // email only
	Text        string // email only; empty means generated from HTML
	SMS         string // sms only
}

// meta is the content of meta.yaml.
type meta struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Trigger     string `yaml:"trigger"`
}

// Defaults loads every default template, ordered by key, language, channel.
func Defaults() ([]Default, error) {
	return load(files)
}

// load reads the layout from fsys; it is separate from Defaults for tests.
func load(fsys fs.FS) ([]Default, error) {
	dirs, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	var out []Default
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		ds, err := loadKey(fsys, dir.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Language != b.Language {
			return a.Language < b.Language
		}
		return a.Channel < b.Channel
	})
	return out, nil
}

// loadKey reads one template folder.
func loadKey(fsys fs.FS, key string) ([]Default, error) {
	raw, err := fs.ReadFile(fsys, path.Join(key, "meta.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrLayout, key, err)
	}
	var m meta
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %s/meta.yaml: %w", ErrLayout, key, err)
	}
	if m.Name == "" {
		return nil, fmt.Errorf("%w: %s/meta.yaml: name is required", ErrLayout, key)
	}
	entries, err := fs.ReadDir(fsys, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	byLangChannel := map[[2]string]*Default{}
	var order [][2]string
	for _, e := range entries {
		name := e.Name()
		if name == "meta.yaml" {
			continue
		}
		lang, channel, ext, ok := splitName(name)
		if !ok {
			return nil, fmt.Errorf("%w: %s/%s: want <lang>.email.html, <lang>.email.txt or <lang>.sms.txt", ErrLayout, key, name)
		}
		body, err := fs.ReadFile(fsys, path.Join(key, name))
		if err != nil {
			return nil, fmt.Errorf("read %s/%s: %w", key, name, err)
		}
		k := [2]string{lang, channel}
		d, seen := byLangChannel[k]
		if !seen {
			d = &Default{Key: key, Language: lang, Channel: channel, Name: m.Name, Description: m.Description, Trigger: m.Trigger}
			byLangChannel[k] = d
			order = append(order, k)
		}
		content := strings.TrimRight(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
		switch {
		case channel == "sms":
			d.SMS = content
		case ext == "txt":
			d.Text = content
		default:
			subject, html, ok := splitSubject(content)
			if !ok {
				return nil, fmt.Errorf("%w: %s/%s: first line must be \"Subject: ...\" followed by a blank line", ErrLayout, key, name)
			}
			d.Subject, d.HTML = subject, html
		}
	}
	out := make([]Default, 0, len(order))
	for _, k := range order {
		d := byLangChannel[k]
		if d.Channel == "email" && d.HTML == "" {
			return nil, fmt.Errorf("%w: %s: %s.email.txt without %s.email.html", ErrLayout, key, d.Language, d.Language)
		}
		out = append(out, *d)
	}
	return out, nil
}

// splitName parses "<lang>.<channel>.<ext>".
func splitName(name string) (lang, channel, ext string, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) != 3 || parts[0] == "" {
		return "", "", "", false
	}
	lang, channel, ext = parts[0], parts[1], parts[2]
	switch {
	case channel == "email" && (ext == "html" || ext == "txt"):
	case channel == "sms" && ext == "txt":
	default:
		return "", "", "", false
	}
	return lang, channel, ext, true
}

// splitSubject splits "Subject: ...\n\n<body>".
func splitSubject(content string) (subject, body string, ok bool) {
	first, rest, _ := strings.Cut(content, "\n")
	s, found := strings.CutPrefix(first, "Subject:")
	if !found {
		return "", "", false
	}
	rest, found = strings.CutPrefix(rest, "\n")
	if !found && rest != "" {
		return "", "", false
	}
	return strings.TrimSpace(s), rest, true
}
