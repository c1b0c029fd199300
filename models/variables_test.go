package models

import (
	"reflect"
	"testing"
)

// One table for the matching rule as each user of it sees it: pre-flight
// (MatchVariables), the renderer (FillVariables) and the import report
// (NormalizeVariableName).
func TestVariableMatchingRule(t *testing.T) {
	cases := []struct {
		placeholder string
		column      string // the CSV heading
		normalized  string // what the import report shows for the heading
		matches     bool
		suggested   bool // pre-flight offers the column as "did you mean"
	}{
		{"name", "Name", "name", true, false},
		{"plan", "PLAN", "plan", true, false},
		{"first_name", "First Name", "first_name", true, false},
		{"first_name", "first-name", "first_name", true, false},
		{"firstName", "first_name", "first_name", true, false},
		{"first_name", " first  name ", "first_name", true, false},
		{"Straße", "STRASSE", "strasse", false, true},
		{"name", "Nmae", "nmae", false, false},
		{"first_name", "frist_name", "frist_name", false, true},
		{"name", "full_name", "full_name", false, true},
		{"city", "Plan", "plan", false, false},
		{"company", "Compny", "compny", false, true},
	}
	for _, c := range cases {
		if got := NormalizeVariableName(c.column); got != c.normalized {
			t.Errorf("NormalizeVariableName(%q) = %q, want %q", c.column, got, c.normalized)
		}
		if VariableKey(NormalizeVariableName(c.column)) != VariableKey(c.column) {
			t.Errorf("normalising %q changes what it matches", c.column)
		}
		m := MatchVariables([]string{c.placeholder}, []string{c.column})[0]
		if (m.Column != "") != c.matches || (c.matches && m.Column != c.column) {
			t.Errorf("MatchVariables(%q, %q) column = %q, want match %v", c.placeholder, c.column, m.Column, c.matches)
		}
		want := ""
		if c.suggested {
			want = c.column
		}
		if m.Suggestion != want {
			t.Errorf("MatchVariables(%q, %q) suggests %q, want %q", c.placeholder, c.column, m.Suggestion, want)
		}
		// The renderer fills the placeholder from the column exactly when
		// pre-flight says the column matches; the default fills it otherwise.
		vars := map[string]string{c.column: "from the row"}
		FillVariables(vars, []string{c.placeholder}, map[string]string{c.placeholder: "the default"})
		wantValue := "the default"
		if c.matches {
			wantValue = "from the row"
		}
		if vars[c.placeholder] != wantValue {
			t.Errorf("FillVariables for {{%s}} with column %q gave %q, want %q", c.placeholder, c.column, vars[c.placeholder], wantValue)
		}
	}
}

func TestDefaultFillsOnlyAnEmptyValue(t *testing.T) {
	defaults := map[string]string{"Name": "friend"}
	for _, c := range []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"name": "Ann"}, "Ann"},
		{map[string]string{"NAME": "Ann"}, "Ann"},
		{map[string]string{"name": ""}, "friend"},
		{map[string]string{}, "friend"},
	} {
		FillVariables(c.vars, []string{"name"}, defaults)
		if c.vars["name"] != c.want {
			t.Errorf("got %q, want %q", c.vars["name"], c.want)
		}
	}
	vars := map[string]string{}
	FillVariables(vars, []string{"plan"}, nil)
	if !reflect.DeepEqual(vars, map[string]string{}) {
		t.Errorf("a variable without value or default was set: %v", vars)
	}
}
