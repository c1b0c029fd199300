package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/content"
)

func TestSendTestEmailIntoTheSandbox(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	wantStatus(t, b.get("/send-test"), http.StatusOK, "Not ready to send yet")

	sender := fixtures.Sender(t, c.Store, c.DNS, "news@example.test", "Example News")
	tpl, err := c.Store.Templates.CreateTemplate(ctx, content.TemplateInput{Name: "Welcome", Subject: "Welcome {{name}}",
		HTML: `<p style="color:red">Hello {{name}}</p><script>alert(1)</script>`, SampleData: `{"name":"Sample"}`}, nil)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"sender_id": {strconv.FormatUint(sender.ID, 10)}, "template_id": {strconv.FormatUint(tpl.ID, 10)}, "to": {"bob@dest.test"}}

	bad := cloneValues(form)
	bad.Set("variables", "[1,2]")
	wantStatus(t, b.post("/send-test", "/send-test", bad), http.StatusUnprocessableEntity, "The variables are not a JSON object")
	bad = cloneValues(form)
	bad.Set("to", "not an address")
	wantStatus(t, b.post("/send-test", "/send-test", bad), http.StatusUnprocessableEntity, "not a valid email address")
	bad = cloneValues(form)
	bad.Set("template_id", "999")
	wantStatus(t, b.post("/send-test", "/send-test", bad), http.StatusUnprocessableEntity, "There is no template 999.")

	form.Set("variables", `{"name": "Bob <b>"}`)
	p := b.post("/send-test", "/send-test", form)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Header.Get("Location"), "/messages/") {
		t.Fatalf("send: %d %s", p.Status, p.Header.Get("Location"))
	}
	msgPath := p.Header.Get("Location")
	wantStatus(t, b.get(msgPath), http.StatusOK, "Test email queued for bob@dest.test.", `data-status="queued"`, `hx-trigger="every 2s"`, "Welcome Bob &lt;b&gt;")

	// Deliver through the sandbox transport.
	engine := mailer.NewEngine(compose.Engine(c.Store), mailer.Sandbox{}, outgoing.NewBuilder(outgoing.NewLinks("http://localhost:8080", []byte("k"))),
		c.Clock, slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "t"})
	if err := engine.RunUntilIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	page := b.get(msgPath)
	wantStatus(t, page, http.StatusOK, `data-status="delivered"`, "250 kept in the sandbox mailbox")
	if strings.Contains(page.Body, `hx-trigger="every 2s"`) {
		t.Error("a delivered message keeps polling")
	}
	wantStatus(t, b.get(msgPath+"/summary"), http.StatusOK, `id="message-summary"`)

	list := b.get("/sandbox")
	wantStatus(t, list, http.StatusOK, "bob@dest.test", "Welcome Bob &lt;b&gt;")
	boxPath := "/sandbox/" + between(list.Body, `href="/sandbox/`, `"`)
	show := b.get(boxPath)
	wantStatus(t, show, http.StatusOK, `sandbox=""`, `data-testid="mail-headers"`, "DKIM-Signature", "Delivery details")
	// The HTML frame is confined: its own CSP, no scripts, framed only here.
	frame := b.get(boxPath + "/html")
	wantStatus(t, frame, http.StatusOK, `<p style="color:red">Hello Bob &lt;b&gt;</p>`)
	if csp := frame.Header.Get("Content-Security-Policy"); !strings.HasPrefix(csp, "sandbox;") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("frame CSP %q", csp)
	}
	raw := b.get(boxPath + "/raw")
	if raw.Header.Get("Content-Type") != "message/rfc822" || !strings.Contains(raw.Body, "Message-Id: <") {
		t.Errorf("raw download: %v", raw.Header)
	}
	wantStatus(t, b.post("/sandbox", "/sandbox/clear", nil), http.StatusSeeOther)
	wantStatus(t, b.get("/sandbox"), http.StatusOK, "Deleted 1 message from the sandbox mailbox.", "The sandbox mailbox is empty")
	wantStatus(t, b.get(boxPath), http.StatusNotFound)
	wantStatus(t, b.get("/messages/nope"), http.StatusNotFound)
}
