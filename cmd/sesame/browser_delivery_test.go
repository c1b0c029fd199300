package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/content"
)

func TestBrowserTestEmailToSandbox(t *testing.T) {
	a := startApp(t)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	fixtures.Sender(t, a.store, a.DNS, "news@example.test", "Example News")
	if _, err := a.store.Templates.CreateTemplate(context.Background(), content.TemplateInput{Name: "Welcome", Subject: "Welcome, {{name}}",
		HTML:       `<html><body style="font-family:sans-serif"><h1 style="color:#0f766e">Hello {{name}}</h1><p>Thanks for joining <b>Example</b>.</p><p><a href="https://example.test/start">Get started</a></p></body></html>`,
		SampleData: `{"name":"Sam"}`}, nil); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "ann@example.com", "marketer pass 1"),
		chromedp.Navigate(a.URL+"/sandbox"),
		chromedp.Click(`[data-testid="send-test-link"]`),
		chromedp.WaitVisible(`[data-testid="send-test-form"]`),
		chromedp.SetValue(`[data-testid="field-to"]`, "bob@dest.test"),
		chromedp.SetValue(`[data-testid="field-variables"]`, `{"name": "Bob"}`),
		chromedp.Click(`[data-testid="send-test-submit"]`),
		chromedp.WaitVisible(`[data-testid="timeline"]`),
		// The summary refreshes itself until the engine has delivered it.
		chromedp.WaitVisible(`[data-testid="message-status"][data-status="delivered"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="message-reply"]`); got != "250 kept in the sandbox mailbox" {
		t.Errorf("reply %q", got)
	}
	browsertest.Screenshot(t, ctx, "message")

	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/sandbox"),
		chromedp.WaitVisible(`[data-testid="sandbox-row"]`),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "sandbox")
	var frameSandbox string
	var ok bool
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="sandbox-row"] a`),
		chromedp.WaitVisible(`[data-testid="mail-frame"]`),
		chromedp.AttributeValue(`[data-testid="mail-frame"]`, "sandbox", &frameSandbox, &ok),
	); err != nil {
		t.Fatal(err)
	}
	if !ok || frameSandbox != "" {
		t.Errorf("frame sandbox attribute %q (present %v)", frameSandbox, ok)
	}
	if got := textOf(t, ctx, `[data-testid="page-title"]`); !strings.Contains(got, "Welcome, Bob") {
		t.Errorf("title %q", got)
	}
	browsertest.Screenshot(t, ctx, "sandbox-message")
}
