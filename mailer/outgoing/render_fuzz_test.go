package outgoing_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
)

// FuzzTemplate checks the template parser against the renderer: whatever
// the scanner accepts compiles, and rendering replaces exactly the
// placeholders the scanner found, each by its own value; whatever it
// refuses is reported with a position inside the text.
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		"Hello {{name}}", "{{ a }}{{b}} }} {{c", "{{}}", "x {{ a {{ b }}", "{{\n}}", "日本 {{名前}}\n{{ x.y-z }}", "{{{{a}}}}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		phs, err := models.ScanPlaceholders(text)
		if err != nil {
			var serr *models.TemplateSyntaxError
			if !errors.As(err, &serr) || serr.Line < 1 || serr.Column < 1 || serr.Line > strings.Count(text, "\n")+1 {
				t.Fatalf("bad error %v", err)
			}
			if _, cerr := outgoing.Compile("", "", text); cerr == nil {
				t.Fatal("the renderer compiled what the scanner refused")
			}
			return
		}
		tpl, err := outgoing.Compile("", "", text)
		if err != nil {
			t.Fatalf("scanner accepted, compile refused: %v", err)
		}
		vars := map[string]string{}
		var want strings.Builder
		last := 0
		for _, p := range phs {
			vars[p.Name] = "<" + p.Name + ">"
			want.WriteString(text[last:p.Start])
			want.WriteString(vars[p.Name])
			last = p.End
		}
		want.WriteString(text[last:])
		var got strings.Builder
		if _, err := tpl.WriteText(&got, vars); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Fatalf("rendered %q, want %q", got.String(), want.String())
		}
	})
}
