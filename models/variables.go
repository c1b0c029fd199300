package models

import (
	"strings"
	"unicode"
)

// The one rule for which value fills a placeholder. CSV columns are named
// by people ("First Name", "Plan"), placeholders by template authors
// ({{first_name}}, {{plan}}): the two match when they are equal once case,
// spaces, _ and - are ignored. Pre-flight, the renderer and the import
// report all go through VariableKey, so they cannot disagree.

// VariableKey is the form in which names are compared: lower case, without
// spaces, _ or -.
func VariableKey(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		if r == '_' || r == '-' || unicode.IsSpace(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// NormalizeVariableName is the name an import gives a column heading:
// trimmed, lower case, with each run of spaces, _ and - made one _
// ("First Name" becomes first_name). It has the heading's VariableKey.
func NormalizeVariableName(name string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.TrimSpace(name) {
		if r == '_' || r == '-' || unicode.IsSpace(r) {
			sep = true
			continue
		}
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// VariableMatch is what a placeholder finds among a group's columns: the
// column that fills it, or, when none does, the closest one as a hint.
type VariableMatch struct {
	Placeholder string
	Column      string // empty when no column matches
	Suggestion  string // when Column is empty: a column that is probably meant
}

// MatchVariables pairs each placeholder with the column that fills it.
func MatchVariables(placeholders, columns []string) []VariableMatch {
	out := make([]VariableMatch, 0, len(placeholders))
	for _, p := range placeholders {
		m := VariableMatch{Placeholder: p}
		key, best := VariableKey(p), -1
		for _, c := range columns {
			ck := VariableKey(c)
			if ck == key {
				m.Column, m.Suggestion = c, ""
				break
			}
			if d := editDistance(key, ck); d <= closeEnough(key, ck) && (best < 0 || d < best) {
				m.Suggestion, best = c, d
			}
		}
		out = append(out, m)
	}
	return out
}

// closeEnough is how many edits still count as a typo: one per three
// characters, at least one; a name contained in the other counts too.
func closeEnough(a, b string) int {
	if a != "" && b != "" && (strings.Contains(a, b) || strings.Contains(b, a)) {
		return max(len(a), len(b))
	}
	return max(1, min(len([]rune(a)), len([]rune(b)))/3)
}

// editDistance is the Levenshtein distance between a and b, in characters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// FillVariables sets vars[name] for each placeholder name from the value
// whose name matches it, or, when that value is empty or absent, from the
// default whose name matches it. A default never replaces a value.
func FillVariables(vars map[string]string, names []string, defaults map[string]string) {
	for _, name := range names {
		if v := lookupVariable(vars, name); v != "" {
			vars[name] = v
		} else if d := lookupVariable(defaults, name); d != "" {
			vars[name] = d
		}
	}
}

// lookupVariable is the non-empty value in vars under name or a name that
// matches it, the exact name first.
func lookupVariable(vars map[string]string, name string) string {
	if v := vars[name]; v != "" {
		return v
	}
	key := VariableKey(name)
	for k, v := range vars {
		if v != "" && VariableKey(k) == key {
			return v
		}
	}
	return ""
}
