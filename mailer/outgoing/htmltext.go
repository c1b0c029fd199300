package outgoing

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText makes a readable text part from an HTML part: paragraphs and
// headings become blank-line separated blocks, list items get "- " or
// numbers, links keep their address in brackets, images their alt text,
// and scripts, styles and the head disappear. {{placeholders}} pass
// through untouched.
func HTMLToText(src string) string {
	c := &textConverter{}
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return c.finish()
		case html.TextToken:
			if c.skip == 0 {
				c.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			c.start(atom.Lookup(name), attrs)
		case html.EndTagToken:
			name, _ := z.TagName()
			c.end(atom.Lookup(name))
		}
	}
}

type textConverter struct {
	out   strings.Builder
	skip  int    // depth inside head, script, style
	pre   int    // depth inside pre
	lists []int  // per open list: 0 for ul, else the next number of an ol
	links []link // open anchors
	space bool   // a collapsed space is pending
	cells []bool // per open table row: a cell was written
}

type link struct {
	href  string
	start int // where the link's text starts in out
}

func (c *textConverter) start(a atom.Atom, attrs map[string]string) {
	switch a {
	case atom.Head, atom.Script, atom.Style, atom.Title, atom.Noscript, atom.Template:
		c.skip++
	case atom.Br:
		c.newline(1)
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Table, atom.Ul, atom.Ol:
		c.newline(2)
		switch a {
		case atom.Ul:
			c.lists = append(c.lists, 0)
		case atom.Ol:
			c.lists = append(c.lists, 1)
		}
	case atom.Pre:
		c.newline(2)
		c.pre++
	case atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Main, atom.Nav, atom.Aside, atom.Dt, atom.Dd:
		c.newline(1)
	case atom.Tr:
		c.newline(1)
		c.cells = append(c.cells, false)
	case atom.Td, atom.Th:
		if n := len(c.cells); n > 0 {
			if c.cells[n-1] {
				c.write("  ")
			}
			c.cells[n-1] = true
		}
	case atom.Li:
		c.newline(1)
		bullet := "- "
		if n := len(c.lists); n > 0 && c.lists[n-1] > 0 {
			bullet = strconv.Itoa(c.lists[n-1]) + ". "
			c.lists[n-1]++
		}
		c.write(bullet)
	case atom.Hr:
		c.newline(1)
		c.write("----------")
		c.newline(1)
	case atom.Img:
		if alt := strings.TrimSpace(attrs["alt"]); alt != "" {
			c.space = true // an image is a word of its own
			c.text(alt)
		}
	case atom.A:
		c.links = append(c.links, link{href: strings.TrimSpace(attrs["href"]), start: c.out.Len()})
	}
}

func (c *textConverter) end(a atom.Atom) {
	switch a {
	case atom.Head, atom.Script, atom.Style, atom.Title, atom.Noscript, atom.Template:
		if c.skip > 0 {
			c.skip--
		}
	case atom.P, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Blockquote, atom.Table:
		c.newline(2)
	case atom.Ul, atom.Ol:
		if n := len(c.lists); n > 0 {
			c.lists = c.lists[:n-1]
		}
		c.newline(2)
	case atom.Pre:
		if c.pre > 0 {
			c.pre--
		}
		c.newline(2)
	case atom.Div, atom.Section, atom.Article, atom.Header, atom.Footer, atom.Main, atom.Nav, atom.Aside, atom.Li, atom.Dt, atom.Dd:
		c.newline(1)
	case atom.Tr:
		if n := len(c.cells); n > 0 {
			c.cells = c.cells[:n-1]
		}
		c.newline(1)
	case atom.A:
		n := len(c.links)
		if n == 0 {
			return
		}
		l := c.links[n-1]
		c.links = c.links[:n-1]
		label := strings.TrimSpace(c.out.String()[l.start:])
		href := strings.TrimPrefix(l.href, "mailto:")
		if l.href != "" && !strings.HasPrefix(l.href, "#") && href != label {
			c.write(" (" + l.href + ")")
		}
	}
}

// text adds character data, collapsing white space outside pre.
func (c *textConverter) text(s string) {
	if c.pre > 0 {
		c.out.WriteString(s)
		return
	}
	if s == "" {
		return
	}
	if isHTMLSpace(rune(s[0])) {
		c.space = true
	}
	for i, word := range strings.FieldsFunc(s, isHTMLSpace) {
		if i > 0 {
			c.space = true
		}
		c.write(word)
	}
	c.space = c.space || isHTMLSpace(rune(s[len(s)-1]))
}

func isHTMLSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' }

// write appends s, preceded by the pending space unless at a line start.
func (c *textConverter) write(s string) {
	if c.space && c.out.Len() > 0 && !strings.HasSuffix(c.out.String(), "\n") {
		c.out.WriteByte(' ')
	}
	c.space = false
	c.out.WriteString(s)
}

// newline ends the current line and makes sure n line breaks separate it
// from what comes next (2 for a blank line).
func (c *textConverter) newline(n int) {
	c.space = false
	if c.out.Len() == 0 {
		return
	}
	have := len(c.out.String()) - len(strings.TrimRight(c.out.String(), "\n"))
	for ; have < n; have++ {
		c.out.WriteByte('\n')
	}
}

func (c *textConverter) finish() string {
	lines := strings.Split(c.out.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s := strings.Join(lines, "\n")
	for strings.Contains(s, "\n\n\n") {
		s = strings.ReplaceAll(s, "\n\n\n", "\n\n")
	}
	return strings.TrimSpace(s)
}
