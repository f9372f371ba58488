// Package migrations embeds Herald's numbered SQL migrations, applied by
// `herald migrate` through goose.
package migrations

import "embed"

// FS holds every *.sql migration in this folder.
//
//go:embed *.sql
var FS embed.FS
