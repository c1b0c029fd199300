package outgoing

import (
	"strings"

	"github.com/sesame-email/sesame/models"
)

// Links that run code or carry their own content (javascript:, vbscript:,
// data:) do not belong in mail: the template linter warns about those a
// template writes, and rendering drops those a recipient's data would put
// at the start of a URL attribute, where nobody reviewed them.

// unsafeURL reports a javascript:, vbscript: or data: URL as a browser
// reads it: in any case, and without the tabs and line breaks it drops,
// nor the spaces and control characters it trims from the front.
func unsafeURL(v string) bool {
	v = strings.TrimLeftFunc(v, func(r rune) bool { return r <= ' ' })
	scheme, _, ok := strings.Cut(v, ":")
	if !ok || len(scheme) > 24 {
		return false
	}
	scheme = strings.ToLower(strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, scheme))
	return scheme == "javascript" || scheme == "vbscript" || scheme == "data"
}

// urlAttributes are the attributes whose value is a URL a mail client may
// follow or load.
var urlAttributes = map[string]bool{"href": true, "src": true, "action": true, "formaction": true, "background": true, "poster": true, "xlink:href": true}

// urlTag prefixes, in a compiled HTML part, the placeholders that begin a
// URL attribute's value; variable names hold no colon.
const urlTag = "url:"

// markURLPlaceholders prefixes with urlTag the placeholders of an HTML part
// that begin the value of a URL attribute (href="{{link}}"), for
// renderer.writeHTML to check their values.
func markURLPlaceholders(html string) string {
	phs, _ := models.ScanPlaceholders(html) // a part that does not scan fails to compile anyway
	var b strings.Builder
	last := 0
	for _, p := range phs {
		if inURLAttribute(html, p.Start) {
			inner := p.Start + len(models.PlaceholderOpen)
			b.WriteString(html[last:inner])
			b.WriteString(urlTag)
			last = inner
		}
	}
	if last == 0 {
		return html
	}
	b.WriteString(html[last:])
	return b.String()
}

// inURLAttribute reports whether html[at:] begins the value of a URL
// attribute inside a tag: after name=, name=" or name=', spaces allowed.
func inURLAttribute(html string, at int) bool {
	i := at
	skipSpaces := func() {
		for i > 0 && isSpace(html[i-1]) {
			i--
		}
	}
	skipSpaces()
	if i > 0 && (html[i-1] == '"' || html[i-1] == '\'') {
		i--
		skipSpaces()
	}
	if i == 0 || html[i-1] != '=' {
		return false
	}
	i--
	skipSpaces()
	end := i
	for i > 0 && !strings.ContainsRune(" \t\n\r\f\"'<>/=", rune(html[i-1])) {
		i--
	}
	return urlAttributes[strings.ToLower(html[i:end])] && strings.LastIndexByte(html[:i], '<') > strings.LastIndexByte(html[:i], '>')
}
