package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/models/accounts"
)

// The README's tour on a fresh install with no DNS set up: with delivery
// the sandbox, an admin adds a domain, a sender address of it, a template,
// sends a test email and reads it in the Sandbox mailbox, while the domain
// itself stays honestly unverified.
func TestBrowserFirstRunReachesTheSandboxWithoutDNS(t *testing.T) {
	a := startApp(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(a.URL+"/domains/new"),
		chromedp.WaitVisible(`[data-testid="domain-form"]`),
		chromedp.SendKeys(`[data-testid="field-name"]`, "example.com"),
		chromedp.Click(`[data-testid="domain-create"]`),
		chromedp.WaitVisible(`[data-testid="records"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="domain-status"]`); got != "Pending DNS" {
		t.Errorf("the new domain's status: %q", got)
	}
	// The public URL of the test app is 127.0.0.1: records naming it are
	// flagged before anyone publishes them.
	if got := textOf(t, ctx, `[data-testid="local-hosts-alert"]`); !strings.Contains(got, "127.0.0.1") || !strings.Contains(got, "SESAME_BOUNCE_HOST") {
		t.Errorf("local hosts alert: %q", got)
	}
	if got := textOf(t, ctx, `[data-testid="sandbox-dns-note"]`); !strings.Contains(got, "Sandbox: DNS not needed until real delivery") {
		t.Errorf("sandbox note on the domain page: %q", got)
	}
	browsertest.Screenshot(t, ctx, "first-run-domain")
	browsertest.ScreenshotPhone(t, ctx, "first-run-domain")

	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/senders"),
		chromedp.WaitVisible(`[data-testid="sender-form"]`),
		chromedp.WaitVisible(`[data-testid="sandbox-dns-note"]`),
		chromedp.SendKeys(`[data-testid="field-email"]`, "news@example.com"),
		chromedp.SendKeys(`[data-testid="field-display_name"]`, "Example News"),
		chromedp.Click(`[data-testid="sender-create"]`),
		chromedp.WaitVisible(`[data-testid="sender-row-news@example.com"]`),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "first-run-senders")
	browsertest.ScreenshotPhone(t, ctx, "first-run-senders")

	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/templates/new"),
		chromedp.WaitVisible(`[data-testid="template-form"]`),
		chromedp.SendKeys(`[data-testid="field-name"]`, "Welcome"),
		chromedp.SendKeys(`[data-testid="field-subject"]`, "Welcome, {{name}}"),
		chromedp.SendKeys(`[data-testid="field-html"]`, "<p>Hello {{name}}, thanks for joining.</p>"),
		chromedp.Click(`[data-testid="template-save"]`),
		chromedp.WaitVisible(`[data-testid="template-status"]`),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/send-test"),
		chromedp.WaitVisible(`[data-testid="send-test-form"]`),
		chromedp.WaitVisible(`[data-testid="sandbox-dns-note"]`),
		chromedp.SetValue(`[data-testid="field-to"]`, "ann@example.org"),
		chromedp.SetValue(`[data-testid="field-variables"]`, `{"name": "Ann"}`),
		chromedp.Click(`[data-testid="send-test-submit"]`),
		chromedp.WaitVisible(`[data-testid="message-status"][data-status="delivered"]`),
		chromedp.Navigate(a.URL+"/sandbox"),
		chromedp.WaitVisible(`[data-testid="sandbox-row"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="sandbox-row"]`); !strings.Contains(got, "Welcome, Ann") || !strings.Contains(got, "ann@example.org") {
		t.Errorf("sandbox row: %q", got)
	}
	d, err := a.store.Domains.GetDomainByName(t.Context(), "example.com")
	if err != nil || d.Verified() {
		t.Errorf("the domain after sending from the sandbox: %+v %v", d, err)
	}
}
