package tasks_test

import (
	"testing"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/tasks"
)

// A group whose columns are named as people name them (Name, Plan) fills a
// template's {{name}} and {{plan}}: pre-flight asks for no default, and
// names the column a misspelt placeholder probably means.
func TestPreflightMatchesColumnsAsTheRendererDoes(t *testing.T) {
	st, _ := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News")
	g, err := st.Audience.CreateGroup(ctx, audience.GroupInput{Name: "Customers"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Audience.AddRecipients(ctx, g.ID, []audience.RecipientInput{
		{Email: "ann@dest.test", Variables: map[string]string{"Name": "Ann", "Plan": "Pro", "First_Name": "Ann"}},
	}); err != nil {
		t.Fatal(err)
	}
	tpl, err := st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "T", Subject: "Hi {{name}}",
		HTML: "<p>{{ first_name }} on {{plan}} in {{citty}}, {{compnay}}</p>"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Audience.AddRecipients(ctx, g.ID, []audience.RecipientInput{
		{Email: "bob@dest.test", Variables: map[string]string{"company": "Acme", "City": "Oslo"}},
	}); err != nil {
		t.Fatal(err)
	}
	pf, err := st.Tasks.PreflightTask(ctx, tasks.TaskInput{Name: "T", SenderID: sender.ID, TemplateID: tpl.ID, GroupID: g.ID, Kind: tasks.TaskBatch, TimeZone: "UTC"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, m := range pf.Missing {
		got[m.Placeholder] = m.Suggestion
	}
	want := map[string]string{"citty": "City", "compnay": "company"}
	if len(got) != len(want) || got["citty"] != want["citty"] || got["compnay"] != want["compnay"] {
		t.Errorf("missing variables with suggestions: %v, want %v", got, want)
	}
}
