package web

import "html/template"

// safeURL marks a URL this package built itself (https renewal links,
// data:image/png QR codes) as safe for href/src attributes.
func safeURL(s string) template.URL { return template.URL(s) } //nolint:gosec // built here, not from input.
