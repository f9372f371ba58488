// Package static embeds the portal's CSS and vendored scripts into the
// binary; app/web serves them at /static.
package static

import "embed"

// FS holds app.css and vendor/.
//
//go:embed app.css vendor
var FS embed.FS
