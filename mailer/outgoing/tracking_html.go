package outgoing

import (
	"html"
	"strings"
)

// rewriteLinks replaces the href of every <a> tag that points at an http or
// https URL with wrap(url). It scans the rendered HTML once, byte by byte:
// a full HTML parse per recipient would cost more than the rest of building
// the message. Links to the message's own unsubscribe page stay as they are.
func rewriteLinks(doc string, wrap func(string) string, keep string) string {
	var out strings.Builder
	out.Grow(len(doc) + len(doc)/8)
	last := 0
	for i := 0; i < len(doc); {
		j := strings.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		start := i + j
		end := tagEnd(doc, start)
		if end < 0 {
			break
		}
		tag := doc[start:end]
		if isAnchorOpen(tag) {
			if vs, ve, ok := hrefValue(tag); ok {
				raw := tag[vs:ve]
				target := html.UnescapeString(raw)
				lower := strings.ToLower(strings.TrimSpace(target))
				if (strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://")) && target != keep {
					out.WriteString(doc[last : start+vs])
					out.WriteString(html.EscapeString(wrap(strings.TrimSpace(target))))
					last = start + ve
				}
			}
		}
		i = end
	}
	if last == 0 {
		return doc
	}
	out.WriteString(doc[last:])
	return out.String()
}

// tagEnd finds the '>' closing the tag that starts at start, skipping '>'
// inside quoted attribute values; -1 when the tag never closes.
func tagEnd(doc string, start int) int {
	var quote byte
	for k := start + 1; k < len(doc); k++ {
		c := doc[k]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k + 1
		}
	}
	return -1
}

func isAnchorOpen(tag string) bool {
	return len(tag) > 3 && (tag[1] == 'a' || tag[1] == 'A') && isSpace(tag[2])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// hrefValue finds the href attribute's value in an opening tag, returning
// the value's bounds within tag (quotes excluded).
func hrefValue(tag string) (int, int, bool) {
	lower := strings.ToLower(tag)
	for from := 0; ; {
		k := strings.Index(lower[from:], "href")
		if k < 0 {
			return 0, 0, false
		}
		k += from
		from = k + 4
		if !isSpace(tag[k-1]) {
			continue // part of another name, such as data-href
		}
		p := k + 4
		for p < len(tag) && isSpace(tag[p]) {
			p++
		}
		if p >= len(tag) || tag[p] != '=' {
			continue
		}
		p++
		for p < len(tag) && isSpace(tag[p]) {
			p++
		}
		if p >= len(tag) {
			return 0, 0, false
		}
		if q := tag[p]; q == '"' || q == '\'' {
			e := strings.IndexByte(tag[p+1:], q)
			if e < 0 {
				return 0, 0, false
			}
			return p + 1, p + 1 + e, true
		}
		e := p
		for e < len(tag) && !isSpace(tag[e]) && tag[e] != '>' {
			e++
		}
		return p, e, e > p
	}
}

// pixelTag is the open-tracking image.
func pixelTag(url string) string {
	return `<img src="` + html.EscapeString(url) + `" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0">`
}
