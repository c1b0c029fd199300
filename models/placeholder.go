package models

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Templates use Tencent's placeholder syntax: {{name}}, with spaces allowed
// inside the braces. These are the rules every part of Sesame agrees on;
// saving a template checks them, and the mailer's renderer relies on them.
const (
	PlaceholderOpen  = "{{"
	PlaceholderClose = "}}"
	// MaxVariableNameLength keeps names usable as CSV column headings.
	MaxVariableNameLength = 64
	// UnsubscribeVariable is the placeholder Sesame fills with each
	// message's own unsubscribe link; no recipient needs to carry it.
	UnsubscribeVariable = "unsubscribe_url"
)

// Placeholder is one {{name}} found in a text. Start and End are byte
// offsets of the whole tag, braces included.
type Placeholder struct {
	Name       string
	Start, End int
}

// TemplateSyntaxError points at the first broken placeholder of a text.
// Line and Column count from 1; Column counts characters, not bytes.
type TemplateSyntaxError struct {
	Line, Column int
	Message      string
}

func (e *TemplateSyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// ScanPlaceholders returns every placeholder of text in order, or the first
// syntax error: a {{ without its }}, an empty placeholder, or a name that is
// not a valid variable name. A lone }} is ordinary text.
func ScanPlaceholders(text string) ([]Placeholder, error) {
	var out []Placeholder
	for pos := 0; ; {
		i := strings.Index(text[pos:], PlaceholderOpen)
		if i < 0 {
			return out, nil
		}
		start := pos + i
		inner := start + len(PlaceholderOpen)
		j := strings.Index(text[inner:], PlaceholderClose)
		if j < 0 || strings.Contains(text[inner:inner+j], PlaceholderOpen) {
			return nil, syntaxErrorAt(text, start, "this {{ is never closed with }}")
		}
		name := strings.TrimSpace(text[inner : inner+j])
		if name == "" {
			return nil, syntaxErrorAt(text, start, "empty placeholder: put a variable name between {{ and }}")
		}
		if !ValidVariableName(name) {
			return nil, syntaxErrorAt(text, start, fmt.Sprintf("%q is not a valid variable name: use letters, digits, _, - and .", TruncateRunes(name, 40)))
		}
		end := inner + j + len(PlaceholderClose)
		out = append(out, Placeholder{Name: name, Start: start, End: end})
		pos = end
	}
}

// VariableNames lists the distinct placeholder names of texts, in order of
// first appearance.
func VariableNames(texts ...string) ([]string, error) {
	seen := map[string]bool{}
	var names []string
	for _, t := range texts {
		phs, err := ScanPlaceholders(t)
		if err != nil {
			return nil, err
		}
		for _, p := range phs {
			if !seen[p.Name] {
				seen[p.Name] = true
				names = append(names, p.Name)
			}
		}
	}
	return names, nil
}

// ValidVariableName reports whether name may stand between {{ and }} and
// head a CSV column: a letter or _ first, then letters, digits, _, - or .,
// at most 64 characters. Letters of any script count.
func ValidVariableName(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > MaxVariableNameLength || !utf8.ValidString(name) {
		return false
	}
	for i, r := range name {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

func syntaxErrorAt(text string, offset int, msg string) *TemplateSyntaxError {
	before := text[:offset]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return &TemplateSyntaxError{Line: line, Column: col, Message: msg}
}

// clipRunes cuts s to at most n characters, for storing a sample of a
// value; truncateRunes marks the cut with an ellipsis, for messages.
func ClipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func TruncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// ParseVariables reads a JSON object of template variables, as recipients
// and sample data carry them (Tencent's TemplateData). Values must be flat:
// strings, numbers and booleans become text, null becomes empty, and
// nested objects or arrays are refused. Empty input is no variables.
func ParseVariables(raw string) (map[string]string, error) {
	if strings.TrimSpace(raw) == "" {
		return map[string]string{}, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		return nil, fmt.Errorf(`not a JSON object such as {"name": "Ann"}`)
	}
	vars := make(map[string]string, len(obj))
	for k, v := range obj {
		if !ValidVariableName(k) {
			return nil, fmt.Errorf("%q is not a valid variable name", TruncateRunes(k, 40))
		}
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return nil, err
		}
		switch x := val.(type) {
		case string:
			vars[k] = x
		case nil:
			vars[k] = ""
		case float64, bool:
			vars[k] = strings.TrimSpace(string(v))
		default:
			return nil, fmt.Errorf("the value of %q is not a plain text value", k)
		}
	}
	return vars, nil
}

// EncodeVariables writes variables as a JSON object with sorted keys, so
// equal variables are stored as equal text.
func EncodeVariables(vars map[string]string) string {
	if len(vars) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		WriteJSONString(&b, k)
		b.WriteByte(':')
		WriteJSONString(&b, vars[k])
	}
	b.WriteByte('}')
	return b.String()
}

// writeJSONString quotes s as a JSON string. It is the hot path of CSV
// imports, so it avoids encoding/json's reflection.
func WriteJSONString(b *strings.Builder, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
		start = i + 1
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
