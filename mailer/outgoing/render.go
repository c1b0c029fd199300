// Package mailer turns templates into messages and messages into mail.
// This file is the renderer: a template is compiled once and rendered for
// each recipient by plain substitution of {{variables}}; nothing a user
// writes is ever executed as template code.
package outgoing

import (
	"errors"
	"io"
	"strings"
	"sync"
	"unicode"

	"github.com/valyala/fasttemplate"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
)

// ErrMessageTooLarge is returned when a rendered message exceeds
// models.MaxMessageBytes.
var ErrMessageTooLarge = errors.New("the rendered message is larger than 10 MB")

// Template is a compiled template, safe for concurrent use: compile it once
// per task and render it for every recipient.
type Template struct {
	subject, html, text *fasttemplate.Template
	hasHTML             bool
	variables           []string
	staticSize          int
}

// PartError says which part of a template failed to compile.
type PartError struct {
	Part string // "subject", "html" or "text"
	Err  error
}

func (e *PartError) Error() string { return e.Part + ": " + e.Err.Error() }
func (e *PartError) Unwrap() error { return e.Err }

// Compile parses a template's parts. An empty text part is generated from
// the HTML, placeholders included, so it is filled in like the others.
func Compile(subject, html, text string) (*Template, error) {
	if strings.TrimSpace(text) == "" && strings.TrimSpace(html) != "" {
		text = HTMLToText(html)
	}
	t := &Template{hasHTML: strings.TrimSpace(html) != "", staticSize: len(subject) + len(html) + len(text)}
	for _, p := range []struct {
		name string
		src  string
		dst  **fasttemplate.Template
	}{{"subject", subject, &t.subject}, {"html", html, &t.html}, {"text", text, &t.text}} {
		// The scan reports line and column; fasttemplate only finds tags.
		if _, err := models.ScanPlaceholders(p.src); err != nil {
			return nil, &PartError{Part: p.name, Err: err}
		}
		src := p.src
		if p.name == "html" {
			src = markURLPlaceholders(src)
		}
		ft, err := fasttemplate.NewTemplate(src, models.PlaceholderOpen, models.PlaceholderClose)
		if err != nil {
			return nil, &PartError{Part: p.name, Err: err}
		}
		*p.dst = ft
	}
	t.variables, _ = models.VariableNames(subject, html, text) // every part parsed above
	return t, nil
}

// CompileTemplate compiles a stored template.
func CompileTemplate(t *content.Template) (*Template, error) {
	return Compile(t.Subject, t.HTML, t.Text)
}

// Variables lists the placeholder names the template uses.
func (t *Template) Variables() []string { return t.variables }

// HasHTML reports whether the template has an HTML part; without one the
// message is text only.
func (t *Template) HasHTML() bool { return t.hasHTML }

// Missing lists the template's variables that vars lacks. They render as
// empty text; callers that must refuse such data (Tencent's
// TemplateDataInconsistent) ask first.
func (t *Template) Missing(vars map[string]string) []string {
	var out []string
	for _, name := range t.variables {
		if _, ok := vars[name]; !ok {
			out = append(out, name)
		}
	}
	return out
}

// Message is a rendered template.
type Message struct {
	Subject string
	HTML    string // empty for a text-only template
	Text    string
}

// Size is the total size of the rendered parts.
func (m *Message) Size() int { return len(m.Subject) + len(m.HTML) + len(m.Text) }

// Render fills in vars. The subject never contains a line break, whatever
// the values hold; the HTML part gets values HTML-escaped; the text part
// gets them as they are.
func (t *Template) Render(vars map[string]string) (*Message, error) {
	if t.staticSize > content.MaxMessageBytes {
		return nil, ErrMessageTooLarge
	}
	// Both parts are written into one string's memory, which they then
	// share: one allocation, and no copy.
	var buf strings.Builder
	buf.Grow(t.staticSize + 256)
	m := &Message{Subject: t.Subject(vars)}
	if t.hasHTML {
		if _, err := t.WriteHTML(&buf, vars); err != nil {
			return nil, err
		}
	}
	htmlEnd := buf.Len()
	if _, err := t.WriteText(&buf, vars); err != nil {
		return nil, err
	}
	parts := buf.String()
	m.HTML, m.Text = parts[:htmlEnd], parts[htmlEnd:]
	if m.Size() > content.MaxMessageBytes {
		return nil, ErrMessageTooLarge
	}
	return m, nil
}

// Subject renders the subject line. Line breaks and other control
// characters in values become spaces, so a value can never start a new
// header nor hide the rest of the line: values given with a send are
// refused for them already, but a recipient group's are not checked
// against the subjects they will fill.
func (t *Template) Subject(vars map[string]string) string {
	r := getRenderer(vars)
	defer r.release()
	var b strings.Builder
	_, _ = t.subject.ExecuteFunc(&b, r.subjectTag)
	return b.String()
}

// WriteHTML writes the HTML part with vars HTML-escaped.
func (t *Template) WriteHTML(w io.Writer, vars map[string]string) (int64, error) {
	r := getRenderer(vars)
	defer r.release()
	return t.html.ExecuteFunc(w, r.htmlTag)
}

// WriteText writes the text part with vars as they are.
func (t *Template) WriteText(w io.Writer, vars map[string]string) (int64, error) {
	r := getRenderer(vars)
	defer r.release()
	return t.text.ExecuteFunc(w, r.textTag)
}

// renderer carries one rendering's variables to the tag functions. The
// functions are bound once per pooled renderer, so rendering a recipient
// allocates nothing beyond its output.
type renderer struct {
	vars                         map[string]string
	htmlTag, textTag, subjectTag fasttemplate.TagFunc
}

var renderers = sync.Pool{New: func() any {
	r := &renderer{}
	r.htmlTag, r.textTag, r.subjectTag = r.writeHTML, r.writeText, r.writeSubject
	return r
}}

func getRenderer(vars map[string]string) *renderer {
	r := renderers.Get().(*renderer)
	r.vars = vars
	return r
}

func (r *renderer) release() {
	r.vars = nil
	renderers.Put(r)
}

func (r *renderer) value(tag string) string { return r.vars[strings.TrimSpace(tag)] }

func (r *renderer) writeText(w io.Writer, tag string) (int, error) {
	return io.WriteString(w, r.value(tag))
}

func (r *renderer) writeSubject(w io.Writer, tag string) (int, error) {
	v := r.value(tag)
	if strings.IndexFunc(v, unicode.IsControl) >= 0 {
		v = strings.Join(strings.FieldsFunc(v, unicode.IsControl), " ")
	}
	return io.WriteString(w, v)
}

// writeHTML escapes the five characters that matter in text and in quoted
// attributes, writing the plain stretches between them as they are. A
// value that begins a URL attribute is dropped when it is a javascript:,
// vbscript: or data: URL (see markURLPlaceholders).
func (r *renderer) writeHTML(w io.Writer, tag string) (int, error) {
	tag, inURL := strings.CutPrefix(tag, urlTag)
	v := r.value(tag)
	if inURL && unsafeURL(v) {
		return 0, nil
	}
	written, start := 0, 0
	for i := 0; i < len(v); i++ {
		var esc string
		switch v[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			continue
		}
		n, err := io.WriteString(w, v[start:i])
		written += n
		if err != nil {
			return written, err
		}
		n, err = io.WriteString(w, esc)
		written += n
		if err != nil {
			return written, err
		}
		start = i + 1
	}
	n, err := io.WriteString(w, v[start:])
	return written + n, err
}

// Preview renders a template for the editor, with sample variables, and
// says what is wrong if it cannot.
func Preview(subject, html, text string, vars map[string]string) (*Message, error) {
	t, err := Compile(subject, html, text)
	if err != nil {
		return nil, err
	}
	return t.Render(vars)
}
