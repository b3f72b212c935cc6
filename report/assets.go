package report

import "embed"

// assets are the report's template and stylesheet and the live page with
// its vendored chart library (assets/uplot, MIT licence beside it).
//
//go:embed assets
var assets embed.FS
