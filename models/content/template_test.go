package content_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/store"
)

func TestScanPlaceholders(t *testing.T) {
	phs, err := models.ScanPlaceholders("Hi {{name}}, {{ city }} }} {{name}}")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range phs {
		got = append(got, p.Name)
	}
	if strings.Join(got, ",") != "name,city,name" {
		t.Errorf("names %v", got)
	}
	if phs[1].Start != 13 || phs[1].End != 23 {
		t.Errorf("offsets of {{ city }}: %d-%d", phs[1].Start, phs[1].End)
	}
	names, _ := models.VariableNames("{{a}} {{b}}", "{{b}} {{ c }}")
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("variable names %v", names)
	}

	for _, tc := range []struct{ text, want string }{
		{"Hello {{name", "line 1, column 7: this {{ is never closed with }}"},
		{"<p>\n  héllo {{ a {{ b }}", "line 2, column 9: this {{ is never closed with }}"},
		{"a\nb\n{{ }}", "line 3, column 1: empty placeholder: put a variable name between {{ and }}"},
		{"{{first name}}", `line 1, column 1: "first name" is not a valid variable name: use letters, digits, _, - and .`},
		{"{{1abc}}", `line 1, column 1: "1abc" is not a valid variable name: use letters, digits, _, - and .`},
	} {
		_, err := models.ScanPlaceholders(tc.text)
		var serr *models.TemplateSyntaxError
		if !errors.As(err, &serr) || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.text, err, tc.want)
		}
	}
	for name, ok := range map[string]bool{"name": true, "first_name": true, "姓名": true, "a.b-c1": true, "_x": true,
		"": false, "1st": false, "a b": false, "a{": false, strings.Repeat("x", 65): false} {
		if models.ValidVariableName(name) != ok {
			t.Errorf("ValidVariableName(%q) = %v", name, !ok)
		}
	}
}

func TestParseVariables(t *testing.T) {
	vars, err := models.ParseVariables(`{"name":"Ann","n":3,"ok":true,"none":null}`)
	if err != nil {
		t.Fatal(err)
	}
	if vars["name"] != "Ann" || vars["n"] != "3" || vars["ok"] != "true" || vars["none"] != "" {
		t.Errorf("vars %v", vars)
	}
	for _, bad := range []string{`[1]`, `{"a":{"b":1}}`, `{"a":[1]}`, `{"bad name":"x"}`, `{"a":`} {
		if _, err := models.ParseVariables(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if got := models.EncodeVariables(map[string]string{"b": "x\"<y>\n", "a": "1"}); got != `{"a":"1","b":"x\"\u003cy\u003e\n"}` {
		t.Errorf("encoded %s", got)
	}
	round, err := models.ParseVariables(models.EncodeVariables(map[string]string{"q": "a\x01\\\"é"}))
	if err != nil || round["q"] != "a\x01\\\"é" {
		t.Errorf("round trip %q %v", round["q"], err)
	}
}

func TestTemplateLifecycle(t *testing.T) {
	st, _ := fixtures.Store(t)
	u := fixtures.User(t, st, "boss@example.com", accounts.RoleAdmin)

	_, err := st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: " ", Subject: "a\nb", HTML: "<p>{{name</p>", SampleData: "[]"}, &u.ID)
	fields := fixtures.FieldErrors(t, err)
	for field, want := range map[string]string{
		"name":        "Enter a name.",
		"subject":     "The subject must be one line.",
		"html":        "Syntax error at line 1, column 4: this {{ is never closed with }}.",
		"sample_data": `Sample data is not a JSON object such as {"name": "Ann"}.`,
	} {
		if fields[field] != want {
			t.Errorf("%s: %q, want %q", field, fields[field], want)
		}
	}
	if fields := fixtures.FieldErrors(t, mustFail(st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "x"}, nil))); fields["html"] == "" {
		t.Error("a template without content was accepted")
	}
	// A rendered message over 10 MB is refused, counting the sample values.
	big := content.TemplateInput{Name: "big", HTML: strings.Repeat("{{v}}", 3), SampleData: `{"v":"` + strings.Repeat("x", 4<<20) + `"}`}
	if fields := fixtures.FieldErrors(t, mustFail(st.Templates.CreateTemplate(ctx, big, nil))); !strings.Contains(fields["html"], "at most 10 MB") {
		t.Errorf("big template: %v", fields)
	}

	tpl, err := st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "Welcome", Subject: "Hi {{ name }}", HTML: "<p>{{name}} in {{city}}</p>"}, &u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Status != content.TemplateApproved || strings.Join(tpl.Variables(), ",") != "name,city" {
		t.Errorf("new template: %s %v", tpl.Status, tpl.Variables())
	}
	if _, err := st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "Welcome", Text: "x"}, nil); fixtures.FieldErrors(t, err)["name"] == "" {
		t.Error("duplicate name accepted")
	}
	if _, err := st.Templates.UsableTemplate(ctx, tpl.ID); err != nil {
		t.Errorf("approved template unusable: %v", err)
	}

	// With review on, a change waits for an admin, and only approval makes
	// the template usable again.
	if err := st.Accounts.SetTemplateReviewRequired(ctx, true); err != nil {
		t.Fatal(err)
	}
	tpl, err = st.Templates.UpdateTemplate(ctx, tpl.ID, content.TemplateInput{Name: "Welcome", Subject: "Hello {{name}}", Text: "Hi"})
	if err != nil || tpl.Status != content.TemplatePending {
		t.Fatalf("update under review: %v %v", tpl, err)
	}
	_, err = st.Templates.UsableTemplate(ctx, tpl.ID)
	if !errors.Is(err, content.ErrTemplateNotApproved) || !strings.Contains(err.Error(), "waiting for an admin's review") {
		t.Errorf("pending template usable: %v", err)
	}
	if _, err := st.Templates.ReviewTemplate(ctx, tpl.ID, false, " "); fixtures.FieldErrors(t, err)["reason"] == "" {
		t.Error("rejection without a reason accepted")
	}
	tpl, err = st.Templates.ReviewTemplate(ctx, tpl.ID, false, "Add an unsubscribe link.")
	if err != nil || tpl.Status != content.TemplateRejected || tpl.Status.TencentCode() != 2 {
		t.Fatalf("reject: %+v %v", tpl, err)
	}
	if _, err := st.Templates.UsableTemplate(ctx, tpl.ID); err == nil || !strings.Contains(err.Error(), "rejected: Add an unsubscribe link.") {
		t.Errorf("rejected template: %v", err)
	}
	tpl, err = st.Templates.ReviewTemplate(ctx, tpl.ID, true, "ignored")
	if err != nil || tpl.Status != content.TemplateApproved || tpl.ReviewReason != "" {
		t.Fatalf("approve: %+v %v", tpl, err)
	}
	if _, err := st.Templates.ReviewTemplate(ctx, 999, true, ""); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("review of a missing template: %v", err)
	}

	// Copies get free names and are reviewed like new templates.
	c1, err := st.Templates.DuplicateTemplate(ctx, tpl.ID, &u.ID)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := st.Templates.DuplicateTemplate(ctx, tpl.ID, &u.ID)
	if c1.Name != "Welcome (copy)" || c2.Name != "Welcome (copy 2)" || c1.Status != content.TemplatePending || c1.Subject != "Hello {{name}}" {
		t.Errorf("copies: %q %q %s", c1.Name, c2.Name, c1.Status)
	}
	page, err := st.Templates.ListTemplates(ctx, 0, 2)
	if err != nil || page.Total != 3 || len(page.Templates) != 2 || page.Templates[0].ID != c2.ID || page.Templates[0].HTML != "" {
		t.Errorf("list: %+v %v", page, err)
	}
	if n, _ := st.Templates.CountTemplatesByStatus(ctx, content.TemplatePending); n != 2 {
		t.Errorf("%d pending", n)
	}
	if err := st.Templates.DeleteTemplate(ctx, c1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Templates.GetTemplate(ctx, c1.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleted template: %v", err)
	}
	if err := st.Templates.DeleteTemplate(ctx, c1.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func mustFail[T any](_ T, err error) error { return err }

// UsableTemplate keeps an approved template a moment: a change through the
// same store is seen at once, one through another process sharing the
// database within a second.
func TestUsableTemplateIsKeptBriefly(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	cfg := testdb.Config(t)
	cfg.Clock = clock
	one, two := testdb.OpenConfig(t, cfg), testdb.OpenConfig(t, cfg)
	tpl, err := one.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "Welcome", Subject: "Hi", Text: "Hello"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*store.Store{one, two} {
		if _, err := st.Templates.UsableTemplate(ctx, tpl.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := one.Templates.ReviewTemplate(ctx, tpl.ID, false, "No."); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Templates.UsableTemplate(ctx, tpl.ID); !errors.Is(err, content.ErrTemplateNotApproved) {
		t.Errorf("rejected, through the same store: %v", err)
	}
	if _, err := two.Templates.UsableTemplate(ctx, tpl.ID); err != nil {
		t.Errorf("rejected a moment ago, through another process: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := two.Templates.UsableTemplate(ctx, tpl.ID); !errors.Is(err, content.ErrTemplateNotApproved) {
		t.Errorf("rejected a second ago, through another process: %v", err)
	}
	if _, err := one.Templates.ReviewTemplate(ctx, tpl.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Templates.UsableTemplate(ctx, tpl.ID); err != nil {
		t.Fatal(err)
	}
	if err := one.Templates.DeleteTemplate(ctx, tpl.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Templates.UsableTemplate(ctx, tpl.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("deleted: %v", err)
	}
}
