// Package static holds the console's CSS, JavaScript and images, embedded in
// the binary so the console works offline and needs no CDN.
package static

import "embed"

//go:embed css js img
var Files embed.FS
