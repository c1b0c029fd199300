package outgoing

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/sesame-email/sesame/models"
)

// MaxLintSubject is the subject length beyond which mailbox providers
// start cutting it off.
const MaxLintSubject = 100

// NoUnsubscribeVariable begins Lint's warning about a template without
// {{unsubscribe_url}}; the editor offers to insert it next to the warning.
const NoUnsubscribeVariable = "The template has no {{unsubscribe_url}}, so Sesame adds an unsubscribe link at the foot of each message."

// Lint lists what is likely to hurt a template's delivery or readability.
// None of it stops a template being saved or sent.
func Lint(subject, htmlPart, textPart string) []string {
	var warnings []string
	if n := utf8.RuneCountInString(subject); n > MaxLintSubject {
		warnings = append(warnings, fmt.Sprintf("The subject has %d characters; mailboxes cut it off after about %d.", n, MaxLintSubject))
	}
	if strings.TrimSpace(textPart) == "" && strings.TrimSpace(htmlPart) != "" {
		warnings = append(warnings, "There is no text part: one is generated from the HTML. Write your own for the best result in text-only mail clients.")
	}
	f := scanHTML(htmlPart)
	// The footer rule of the builder: Sesame adds its unsubscribe link
	// unless the template places {{unsubscribe_url}} itself.
	if names, _ := models.VariableNames(subject, htmlPart, textPart); !slices.Contains(names, models.UnsubscribeVariable) {
		if f.unsubscribe || mentionsUnsubscribe(textPart) || mentionsUnsubscribe(htmlPart) {
			warnings = append(warnings, NoUnsubscribeVariable+" Your own unsubscribe link would make two: give it {{unsubscribe_url}} as its address instead.")
		} else {
			warnings = append(warnings, NoUnsubscribeVariable+" To place the link yourself, insert {{unsubscribe_url}} as a link's address.")
		}
	}
	if f.imagesWithoutAlt > 0 {
		warnings = append(warnings, fmt.Sprintf("%d image(s) have no alt text, so readers who block images see nothing in their place.", f.imagesWithoutAlt))
	}
	if len(f.insecure) > 0 {
		warnings = append(warnings, "Resources are loaded over plain http, which mail clients block or flag: "+strings.Join(f.insecure, ", ")+".")
	}
	if len(f.unsafe) > 0 {
		warnings = append(warnings, "Addresses with javascript:, vbscript: or data: are sent as written, untracked, and mail clients block or flag them: "+strings.Join(f.unsafe, ", ")+".")
	}
	return warnings
}

func mentionsUnsubscribe(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "unsubscribe") || strings.Contains(s, "opt out") || strings.Contains(s, "opt-out")
}

type htmlFindings struct {
	unsubscribe      bool
	imagesWithoutAlt int
	insecure         []string
	unsafe           []string // javascript:, vbscript: and data: URLs, shortened
}

// resourceAttrs are the attributes whose URL a mail client fetches when
// it shows the message (unlike a link, which is only followed on a click).
var resourceAttrs = map[atom.Atom][]string{
	atom.Img:    {"src"},
	atom.Link:   {"href"},
	atom.Script: {"src"},
	atom.Source: {"src"},
	atom.Video:  {"poster", "src"},
	atom.Audio:  {"src"},
	atom.Iframe: {"src"},
	atom.Table:  {"background"},
	atom.Td:     {"background"},
	atom.Body:   {"background"},
}

func scanHTML(src string) htmlFindings {
	var f htmlFindings
	seen := map[string]bool{}
	insecure := func(u string) {
		u = strings.TrimSpace(u)
		if strings.HasPrefix(strings.ToLower(u), "http://") && !seen[u] && len(f.insecure) < 5 {
			seen[u] = true
			f.insecure = append(f.insecure, u)
		}
	}
	z := html.NewTokenizer(strings.NewReader(src))
	inStyle := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return f
		case html.TextToken:
			if inStyle {
				for _, u := range cssURLs(string(z.Text())) {
					insecure(u)
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.Style {
				inStyle = false
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			if a == atom.Style && tt == html.StartTagToken {
				inStyle = true
			}
			if a == atom.Img {
				if _, ok := attrs["alt"]; !ok {
					f.imagesWithoutAlt++
				}
			}
			if a == atom.A && mentionsUnsubscribe(attrs["href"]) {
				f.unsubscribe = true
			}
			for _, attr := range resourceAttrs[a] {
				insecure(attrs[attr])
			}
			for attr, v := range attrs {
				if urlAttributes[attr] && unsafeURL(v) && len(f.unsafe) < 5 {
					f.unsafe = append(f.unsafe, shorten(strings.TrimSpace(v), 40))
				}
			}
			for _, u := range cssURLs(attrs["style"]) {
				insecure(u)
			}
		}
	}
}

// shorten cuts s to n characters, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// cssURLs finds the addresses of url(…) in CSS.
func cssURLs(css string) []string {
	var out []string
	for {
		i := strings.Index(strings.ToLower(css), "url(")
		if i < 0 {
			return out
		}
		css = css[i+4:]
		j := strings.IndexByte(css, ')')
		if j < 0 {
			return out
		}
		out = append(out, strings.Trim(strings.TrimSpace(css[:j]), `'"`))
		css = css[j+1:]
	}
}
