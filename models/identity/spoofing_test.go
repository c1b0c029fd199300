package identity_test

import (
	"testing"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
)

// "ceo@bank.example" <news@yourdomain> is the classic phishing shape: many
// clients show only the name. A display name may show no address but the
// sender's own, nor hold control characters.
func TestDisplayNamesCannotSpoof(t *testing.T) {
	st, _ := fixtures.Store(t)
	dns := dnstest.Start(t)
	fixtures.Sender(t, st, dns, "first@example.test", "First")
	for name, want := range map[string]string{
		"ceo@bank.example":             "A display name cannot show an email address other than the sender's own (news@example.test).",
		`"CEO" ceo@bank.example`:       "A display name cannot show an email address other than the sender's own (news@example.test).",
		"Support (ceo @ bank.example)": "A display name cannot show an email address other than the sender's own (news@example.test).",
		"ceo\uff20bank.example":        "A display name cannot show an email address other than the sender's own (news@example.test).",
		"first@example.test":           "A display name cannot show an email address other than the sender's own (news@example.test).",
		"News\x00 from the bank":       "A display name cannot contain line breaks or control characters.",
		"News\x1b[8m":                  "A display name cannot contain line breaks or control characters.",
		"News\u0085Bank":               "A display name cannot contain line breaks or control characters.",
	} {
		_, err := st.Senders.CreateSender(ctx, "news@example.test", name)
		if err == nil {
			t.Fatalf("%q accepted", name)
		}
		if got := fixtures.FieldErrors(t, err)["display_name"]; got != want {
			t.Errorf("%q: %q", name, got)
		}
	}
	for _, name := range []string{"News", "news@example.test", "News (news@example.test)", "Tom @ Acme", "Café News"} {
		s, err := st.Senders.CreateSender(ctx, "news@example.test", name)
		if err != nil {
			t.Errorf("%q: %v", name, err)
			continue
		}
		if err := st.Senders.DeleteSender(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	// A name given with a send is checked against its address.
	if _, err := models.CheckDisplayName("billing@bank.example", "news@example.test"); fixtures.FieldErrors(t, err)["display_name"] == "" {
		t.Error("a send's display name showing another address")
	}
	// So is the From header of an SMTP submission.
	a, err := st.Senders.GetSenderByEmail(ctx, "first@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SendingAs("first@example.test", "ceo@bank.example"); fixtures.FieldErrors(t, err)["from"] == "" {
		t.Error("an SMTP From name showing another address")
	}
}

// A control character in a subject, or in a value a subject's variable is
// given, would end up in the Subject header: refused, as line breaks were.
func TestSubjectsCannotHoldControlCharacters(t *testing.T) {
	st, _ := fixtures.Store(t)
	for subject, want := range map[string]string{
		"Your invoice\x00 from the bank": "The subject cannot contain control characters.",
		"Hi\tthere":                      "The subject cannot contain control characters.",
		"Hi\u202e":                       "",
		"Hi\r\nBcc: all@example.test":    "The subject must be one line.",
	} {
		_, err := st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "T", Subject: subject, HTML: "<p>x</p>"}, nil)
		if want == "" {
			if err != nil {
				t.Errorf("%q: %v", subject, err)
			}
			continue
		}
		if got := fixtures.FieldErrors(t, err)["subject"]; got != want {
			t.Errorf("%q: %q", subject, got)
		}
	}
	_, err := st.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "T2", Subject: "Hi {{name}}", HTML: "<p>{{name}} {{note}}</p>",
		SampleData: `{"name": "Ann\u0000 (verified)", "note": "line\nbreaks are fine in the body"}`}, nil)
	if got := fixtures.FieldErrors(t, err)["sample_data"]; got != "The value of {{name}} is used in the subject, so it cannot contain line breaks or control characters." {
		t.Errorf("sample data: %q", got)
	}
	if err := content.CheckSubject("Hi {{name}}", map[string]string{"name": "Ann\rBcc: x"}); fixtures.FieldErrors(t, err)["template_data"] == "" {
		t.Error("a send's variable with a line break")
	}
	if err := content.CheckSubject("Hi {{name}}", map[string]string{"name": "Ann", "note": "a\nb"}); err != nil {
		t.Errorf("a body variable with a line break: %v", err)
	}
}
