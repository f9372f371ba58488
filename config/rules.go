package config

import _ "embed"

// RulesYAML is the firm's default playbook (rules.yaml), loaded into the
// rules table by `herald seed`.
//
//go:embed rules.yaml
var RulesYAML []byte
