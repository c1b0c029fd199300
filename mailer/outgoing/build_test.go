package outgoing_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/queue"
)

// The parts a built message carries decode, with go-message's reader, to
// exactly what the template rendered: the quoted-printable encoding and the
// multipart layout written by hand lose nothing.
func TestBuiltPartsDecodeToTheRenderedText(t *testing.T) {
	html := "<p class=\"x\">Grüße {{name}} =?utf-8?q?x?= </p>\n.dot at line start\n" + strings.Repeat("long line ", 40) + "\t\n<p>end</p>"
	text := "Grüße {{name}}\r\n.dot\r\ntrailing space \r\n" + strings.Repeat("= ", 60)
	for _, c := range []struct {
		name       string
		html, text string
	}{{"alternative", html, text}, {"text only", "", text}} {
		t.Run(c.name, func(t *testing.T) {
			content := &queue.MessageContent{Subject: "Hi {{name}}", HTML: c.html, Text: c.text}
			tpl, err := outgoing.Compile(content.Subject, content.HTML, content.Text)
			if err != nil {
				t.Fatal(err)
			}
			m := &queue.Message{UID: queue.NewMessageUID(), CreatedAt: time.Now(), FromEmail: "news@example.test",
				Recipient: "ann@dest.test", Variables: `{"name":"Änn"}`}
			links := outgoing.NewLinks("https://sesame.example", []byte("k"))
			want, err := tpl.Render(map[string]string{"name": "Änn", "unsubscribe_url": links.UnsubscribeURL(m.UID)})
			if err != nil {
				t.Fatal(err)
			}
			built, err := outgoing.NewBuilder(links).Unsigned(m, content, "example.test")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, part := range decodedParts(t, built.Data) {
				got = append(got, part.contentType+": "+part.body)
			}
			wantParts := []string{"text/plain: " + want.Text}
			if c.html != "" {
				wantParts = append(wantParts, "text/html: "+want.HTML)
			}
			// Quoted-printable carries line ends as CRLF.
			for i := range wantParts {
				wantParts[i] = strings.ReplaceAll(strings.ReplaceAll(wantParts[i], "\r\n", "\n"), "\n", "\r\n")
			}
			if strings.Join(got, "\n----\n") != strings.Join(wantParts, "\n----\n") {
				t.Errorf("parts\n%q\nwant\n%q", got, wantParts)
			}
			_, body, _ := strings.Cut(string(built.Data), "\r\n\r\n")
			for _, line := range strings.Split(body, "\r\n") {
				if len(line) > 78 {
					t.Errorf("line of %d characters: %q", len(line), line)
				}
			}
		})
	}
}

// A template that links {{unsubscribe_url}} itself, in any part, gets no
// footer link: two unsubscribe links would confuse. One that does not
// gets the footer in each part.
func TestUnsubscribeFooterOnlyWhenTheTemplateHasNoLink(t *testing.T) {
	links := outgoing.NewLinks("https://sesame.example", []byte("k"))
	for _, c := range []struct {
		html, text string
		footer     bool
	}{
		{`<p>News</p><p><a href="{{unsubscribe_url}}">Leave this list</a></p>`, "News", false},
		{`<p>News</p>`, "News. Leave: {{ unsubscribe_url }}", false},
		{`<p>News</p>`, "News", true},
	} {
		content := &queue.MessageContent{Subject: "Hi", Unsubscribe: "2", HTML: c.html, Text: c.text}
		m := &queue.Message{UID: queue.NewMessageUID(), CreatedAt: time.Now(), FromEmail: "news@example.test", Recipient: "ann@dest.test"}
		built, err := outgoing.NewBuilder(links).Unsigned(m, content, "example.test")
		if err != nil {
			t.Fatal(err)
		}
		parts := map[string]string{}
		for _, part := range decodedParts(t, built.Data) {
			parts[part.contentType] = part.body
		}
		url := links.UnsubscribeURL(m.UID)
		if got := strings.Contains(parts["text/plain"], "Unsubscribe: "+url); got != c.footer {
			t.Errorf("%q / %q: text footer %v, want %v:\n%s", c.html, c.text, got, c.footer, parts["text/plain"])
		}
		wantLinks := 1 // the template's own or the footer
		if !c.footer && !strings.Contains(c.html, "unsubscribe_url") {
			wantLinks = 0
		}
		if n := strings.Count(parts["text/html"], url); n != wantLinks {
			t.Errorf("%q: the HTML part links the unsubscribe page %d times, want %d:\n%s", c.html, n, wantLinks, parts["text/html"])
		}
	}
}

type decodedPart struct{ contentType, body string }

// decodedParts reads a built message's parts with go-message, decoded.
func decodedParts(t *testing.T, data []byte) []decodedPart {
	t.Helper()
	r, err := mail.CreateReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	var parts []decodedPart
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("%v in\n%s", err, data)
		}
		b, _ := io.ReadAll(p.Body)
		ct, _, _ := p.Header.(*mail.InlineHeader).ContentType()
		parts = append(parts, decodedPart{ct, string(b)})
	}
}
