package outgoing_test

import (
	"errors"
	"html"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models"
)

func TestRenderEscapesOnlyTheHTMLPart(t *testing.T) {
	tpl, err := outgoing.Compile("Hi {{ name }}", `<p title="{{name}}">Hello {{name}}, {{missing}}!</p>`, "Hello {{name}}")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"name": `Ann <b>"O'Neil" & co</b>`}
	m, err := tpl.Render(vars)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<p title="Ann &lt;b&gt;&#34;O&#39;Neil&#34; &amp; co&lt;/b&gt;">Hello Ann &lt;b&gt;&#34;O&#39;Neil&#34; &amp; co&lt;/b&gt;, !</p>`; m.HTML != want {
		t.Errorf("html:\n%s\nwant\n%s", m.HTML, want)
	}
	if m.Text != `Hello Ann <b>"O'Neil" & co</b>` || m.Subject != `Hi Ann <b>"O'Neil" & co</b>` {
		t.Errorf("text %q subject %q", m.Text, m.Subject)
	}
	if got := tpl.Missing(vars); len(got) != 1 || got[0] != "missing" {
		t.Errorf("missing %v", got)
	}
	if got := strings.Join(tpl.Variables(), ","); got != "name,missing" {
		t.Errorf("variables %s", got)
	}
}

func TestValuesAreNeverTemplateCode(t *testing.T) {
	tpl, err := outgoing.Compile("{{a}}", "{{a}} {{b}}", "{{a}} {{b}}")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tpl.Render(map[string]string{"a": "{{b}}", "b": `{{ .Env }}{{template "x"}}`})
	if m.Text != `{{b}} {{ .Env }}{{template "x"}}` || m.Subject != "{{b}}" {
		t.Errorf("a value was interpreted: %q %q", m.Text, m.Subject)
	}
}

func TestSubjectValuesCannotBreakTheLine(t *testing.T) {
	tpl, _ := outgoing.Compile("Order {{id}} shipped", "", "x")
	got := tpl.Subject(map[string]string{"id": "42\r\nBcc: victim@example.com\n"})
	if got != "Order 42 Bcc: victim@example.com shipped" {
		t.Errorf("subject %q", got)
	}
}

// Recipient groups are not checked against the subjects their values fill:
// no control character of a value reaches the Subject header.
func TestSubjectValuesCannotHoldControlCharacters(t *testing.T) {
	tpl, _ := outgoing.Compile("Invoice {{id}} from {{who}}", "", "x")
	got := tpl.Subject(map[string]string{"id": "42\x00", "who": "the\x1b[8m bank\u0085x"})
	if got != "Invoice 42 from the [8m bank x" {
		t.Errorf("subject %q", got)
	}
}

// A recipient's data cannot put a javascript:, vbscript: or data: URL where
// a link or resource address begins; elsewhere values are only escaped.
func TestUnsafeURLsInValuesAreDropped(t *testing.T) {
	tpl, err := outgoing.Compile("s", `<a href="{{link}}">go</a> <a HREF = '{{link}}'>go</a> <img src={{link}}> `+
		`<a href="https://x.example/?next={{link}}">kept</a> <p title="{{link}}">{{link}}</p>`, "{{link}}")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "\x01javascript:x", "vbscript:x", "data:text/html;base64,PHNjcmlwdD4="} {
		m, err := tpl.Render(map[string]string{"link": bad})
		if err != nil {
			t.Fatal(err)
		}
		esc := html.EscapeString(bad)
		want := `<a href="">go</a> <a HREF = ''>go</a> <img src=> <a href="https://x.example/?next=` + esc + `">kept</a> <p title="` + esc + `">` + esc + `</p>`
		if m.HTML != want || m.Text != bad {
			t.Errorf("%q:\n%s\nwant\n%s\ntext %q", bad, m.HTML, want, m.Text)
		}
	}
	m, _ := tpl.Render(map[string]string{"link": "https://shop.example/?a=1&b=2"})
	if !strings.HasPrefix(m.HTML, `<a href="https://shop.example/?a=1&amp;b=2">go</a>`) {
		t.Errorf("a safe link: %s", m.HTML)
	}
}

func TestTextPartIsGeneratedFromHTML(t *testing.T) {
	tpl, err := outgoing.Compile("s", `<html><head><title>T</title><style>p{color:red}</style></head><body>
<h1>Hello {{ name }}</h1><p>Your   order is
<b>ready</b>.</p><ul><li>One</li><li>Two</li></ul><ol><li>First</li><li>Second</li></ol>
<p><a href="https://shop.example/o/{{id}}">Track it</a> or mail <a href="mailto:help@shop.example">help@shop.example</a>.<br>Thanks<img src="x.png" alt="logo"></p>
<table><tr><td>Item</td><td>1</td></tr><tr><td>Tax</td><td>0</td></tr></table><hr><script>alert(1)</script><p>Bye &amp; see you</p></body></html>`, "")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := tpl.Render(map[string]string{"name": "Ann & Bob", "id": "7"})
	want := `Hello Ann & Bob

Your order is ready.

- One
- Two

1. First
2. Second

Track it (https://shop.example/o/7) or mail help@shop.example.
Thanks logo

Item  1
Tax  0

----------

Bye & see you`
	if m.Text != want {
		t.Errorf("text:\n%s\n---want---\n%s", m.Text, want)
	}
	if !tpl.HasHTML() {
		t.Error("HasHTML false")
	}
	textOnly, _ := outgoing.Compile("s", "", "Just {{x}}")
	if textOnly.HasHTML() {
		t.Error("a text-only template has HTML")
	}
}

func TestCompileReportsThePart(t *testing.T) {
	_, err := outgoing.Compile("ok", "<p>\n {{ name</p>", "")
	var perr *outgoing.PartError
	var serr *models.TemplateSyntaxError
	if !errors.As(err, &perr) || perr.Part != "html" || !errors.As(err, &serr) || serr.Line != 2 || serr.Column != 2 {
		t.Errorf("err %v", err)
	}
}

func TestRenderRefusesOversizeMessages(t *testing.T) {
	tpl, _ := outgoing.Compile("s", "{{v}}{{v}}{{v}}", "x")
	_, err := tpl.Render(map[string]string{"v": strings.Repeat("x", 4<<20)})
	if !errors.Is(err, outgoing.ErrMessageTooLarge) {
		t.Errorf("err %v", err)
	}
}

func TestLint(t *testing.T) {
	got := outgoing.Lint(strings.Repeat("s", 101), `<style>.a{background:url("http://cdn.example/bg.png")}</style>
<img src="http://cdn.example/a.png"><img src="https://cdn.example/b.png" alt=""><a href="http://shop.example/">shop</a>`+
		`<a href=" JavaScript:alert(document.cookie)">win</a><img alt="" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk">`, "")
	want := []string{
		"The subject has 101 characters; mailboxes cut it off after about 100.",
		"There is no text part: one is generated from the HTML. Write your own for the best result in text-only mail clients.",
		outgoing.NoUnsubscribeVariable + " To place the link yourself, insert {{unsubscribe_url}} as a link's address.",
		"1 image(s) have no alt text, so readers who block images see nothing in their place.",
		"Resources are loaded over plain http, which mail clients block or flag: http://cdn.example/bg.png, http://cdn.example/a.png.",
		"Addresses with javascript:, vbscript: or data: are sent as written, untracked, and mail clients block or flag them: " +
			"JavaScript:alert(document.cookie), data:image/png;base64,iVBORw0KGgoAAAANSU….",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lint:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	clean := outgoing.Lint("Hello", `<p>Hi <img src="https://x.example/a.png" alt="A"> <a href="{{unsubscribe_url}}">Leave</a></p>`, "Hi")
	if len(clean) != 0 {
		t.Errorf("clean template warned: %v", clean)
	}
	// A link of its own to an unsubscribe page would come with Sesame's
	// footer link: two links.
	own := outgoing.Lint("Hello", `<p>Hi <a href="https://x.example/unsubscribe?u={{id}}">Leave</a></p>`, "Hi")
	if len(own) != 1 || !strings.Contains(own[0], "would make two") {
		t.Errorf("own unsubscribe link: %v", own)
	}
}

func BenchmarkRender(b *testing.B) {
	html := strings.Repeat(`<tr><td style="padding:8px">Dear {{ first_name }}, your code is {{code}} in {{city}}.</td></tr>`, 100)
	tpl, err := outgoing.Compile("Hello {{first_name}}", "<table>"+html+"</table>", "")
	if err != nil {
		b.Fatal(err)
	}
	vars := map[string]string{"first_name": "Ann & Bob", "code": "X-42", "city": "Oslo", "plan": "pro", "id": "7"}
	var sink strings.Builder
	b.ReportAllocs()
	for b.Loop() {
		sink.Reset()
		if _, err := tpl.WriteHTML(&sink, vars); err != nil {
			b.Fatal(err)
		}
		_, _ = tpl.WriteText(&sink, vars)
		_ = tpl.Subject(vars)
	}
	b.SetBytes(int64(sink.Len()))
}
