package portal

import (
	"context"
	"strings"
)

// TemplateOption is a template family a rule can send, with the channels it
// has a version for.
type TemplateOption struct {
	Key      string
	Name     string
	Channels []string
}

// RuleOptions are the choices the rule form offers.
type RuleOptions struct {
	Statuses  []Option
	Templates []TemplateOption
}

// RuleOptions lists the active canonical statuses and the templates with
// their channels, for the rule form.
func (r *Reader) RuleOptions(ctx context.Context) (RuleOptions, error) {
	var o RuleOptions
	if err := r.scan(ctx, "statuses", &o.Statuses, `SELECT key AS value, label FROM canonical_statuses WHERE active ORDER BY position, key`); err != nil {
		return o, err
	}
	var rows []struct{ Key, Name, Channels string }
	if err := r.scan(ctx, "templates", &rows, `SELECT key, min(name) AS name, string_agg(DISTINCT channel, ',' ORDER BY channel) AS channels
		FROM message_templates GROUP BY key ORDER BY key`); err != nil {
		return o, err
	}
	for _, t := range rows {
		o.Templates = append(o.Templates, TemplateOption{Key: t.Key, Name: t.Name, Channels: strings.Split(t.Channels, ",")})
	}
	return o, nil
}
