package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/accounts"
)

func TestBrowserDomainVerification(t *testing.T) {
	a := startApp(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	a.DNS.Set(t, testdb.BounceHost+". 300 IN A 127.0.0.1")
	ctx := browsertest.New(t)

	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(a.URL+"/domains"),
		chromedp.Click(`[data-testid="new-domain"]`),
		chromedp.WaitVisible(`[data-testid="domain-form"]`),
		chromedp.SendKeys(`[data-testid="field-name"]`, "Example.TEST"),
		chromedp.Click(`[data-testid="domain-create"]`),
		chromedp.WaitVisible(`[data-testid="records"]`),
	); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var copies int
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid^="record-"][data-kind]')].map(e => e.dataset.kind)`, &kinds),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="records"] [data-testid="copy"]').length`, &copies),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Join(kinds, ",") != "ownership,spf,dkim,dmarc,return_path,return_path_spf" || copies < 12 {
		t.Fatalf("records %v with %d copy buttons", kinds, copies)
	}
	if got := textOf(t, ctx, `[data-testid="domain-status"]`); got != "Pending DNS" {
		t.Errorf("status before publishing: %q", got)
	}
	browsertest.Screenshot(t, ctx, "domain-pending")

	// Publish exactly what the page asks for, as an admin would at the DNS host.
	d, err := a.store.Domains.GetDomainByName(context.Background(), "example.test")
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := a.store.Domains.DomainRecords(context.Background(), d)
	a.DNS.Publish(t, recs)

	// The flash of the last step is still on the page: wait for the new one
	// (polling that outlives the page's navigation).
	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="check-now"]`)); err != nil {
		t.Fatal(err)
	}
	// The flash comes first in the page: wait for the whole of it too.
	waitForJS(t, ctx, `document.readyState === "complete" && document.querySelectorAll('[data-testid="record-status"]').length === 6 && document.querySelector('[data-testid="flash"]')?.textContent.trim() === "example.test is verified: it can send now."`, 60*time.Second)
	var statuses []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`[...document.querySelectorAll('[data-testid="record-status"]')].map(e => e.dataset.status)`, &statuses)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(statuses, ",") != "pass,pass,pass,pass,pass,pass" {
		t.Errorf("statuses after publishing: %v", statuses)
	}
	browsertest.Screenshot(t, ctx, "domain-verified")

	// A sender address under the verified domain, and the IP page.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/senders"),
		chromedp.SendKeys(`[data-testid="field-email"]`, "news@example.test"),
		chromedp.SendKeys(`[data-testid="field-display_name"]`, "Example News"),
		chromedp.Click(`[data-testid="sender-create"]`),
		chromedp.WaitVisible(`[data-testid="sender-row-news@example.test"]`),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "senders")
	// The SMTP password form, open, with its rule.
	if err := chromedp.Run(ctx, chromedp.Click(`[data-testid="sender-row-news@example.test"] details.inline-form summary`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "senders-password")
	browsertest.ScreenshotPhone(t, ctx, "senders-password")
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/admin/ips"),
		chromedp.SendKeys(`[data-testid="field-address"]`, "127.0.0.2"),
		chromedp.SendKeys(`[data-testid="field-helo_host"]`, "mta2.sesame.test"),
		chromedp.SetValue(`[data-testid="field-pool"]`, "dedicated"),
		chromedp.Click(`[data-testid="ip-create"]`),
		chromedp.WaitVisible(`[data-testid="ip-row-127.0.0.2"]`),
		chromedp.Click(`[data-testid="ip-row-127.0.0.2"] a.btn`),
		chromedp.WaitVisible(`[data-testid="ip-edit-form"]`),
		chromedp.Click(`[data-testid="assign-example.test"]`),
		chromedp.Click(`[data-testid="ip-save"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="ip-row-127.0.0.2"]`); !strings.Contains(got, "example.test") || !strings.Contains(got, "Dedicated") {
		t.Errorf("IP row: %q", got)
	}
	browsertest.Screenshot(t, ctx, "ips")

	// A marketer sees the domain read-only and cannot add domains or IPs.
	mctx := browsertest.New(t)
	var adminButtons int
	if err := chromedp.Run(mctx,
		signIn(mctx, a.URL, "ann@example.com", "marketer pass 1"),
		chromedp.Navigate(a.URL+"/domains/example.test"),
		chromedp.WaitVisible(`[data-testid="records"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="check-now"],[data-testid="delete-domain"],[data-testid="rotate-dkim"]').length`, &adminButtons),
	); err != nil {
		t.Fatal(err)
	}
	if adminButtons != 0 {
		t.Errorf("marketer sees %d admin buttons", adminButtons)
	}
	for _, path := range []string{"/domains/new", "/admin/ips"} {
		var status string
		if err := chromedp.Run(mctx,
			chromedp.Navigate(a.URL+path),
			chromedp.WaitVisible(`[data-testid="error-page"]`),
			chromedp.AttributeValue(`[data-testid="error-page"]`, "data-status", &status, nil),
		); err != nil {
			t.Fatal(err)
		}
		if status != "403" {
			t.Errorf("marketer %s: %s", path, status)
		}
	}
}
