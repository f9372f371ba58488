package config

import "embed"

// SourcesFS holds the shipped CMS source mappings (config/sources/*.yaml).
//
//go:embed sources/*.yaml
var SourcesFS embed.FS
