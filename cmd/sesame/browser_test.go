package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/views/layouts"
)

func signIn(ctx context.Context, base, email, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible(`[data-testid="login-form"]`),
		chromedp.SendKeys(`[data-testid="field-email"]`, email),
		chromedp.SendKeys(`[data-testid="field-password"]`, password),
		chromedp.Click(`[data-testid="login-submit"]`),
		chromedp.WaitVisible(`[data-testid="brand"]`),
	}
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery)); err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func TestBrowserConsoleTour(t *testing.T) {
	a := startApp(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	ctx := browsertest.New(t)

	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/login"), chromedp.WaitVisible(`[data-testid="login-form"]`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "login")
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "boss@example.com", "admin password 1")); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="page-title"]`); got != "Dashboard" {
		t.Fatalf("after sign-in the page is %q", got)
	}
	browsertest.Screenshot(t, ctx, "dashboard-empty")

	// Every navigation entry opens its page, marked as the current entry.
	for _, section := range layouts.Navigation {
		for _, e := range section.Entries {
			sel := `.sidebar-wide [data-testid="nav-` + e.Href + `"]`
			if err := chromedp.Run(ctx,
				chromedp.Click(sel, chromedp.ByQuery),
				chromedp.WaitVisible(`.sidebar-wide [data-testid="nav-`+e.Href+`"][aria-current="page"]`, chromedp.ByQuery),
			); err != nil {
				t.Fatalf("open %s: %v", e.Label, err)
			}
			if got := textOf(t, ctx, `[data-testid="page-title"]`); got != e.Label {
				t.Errorf("%s opened a page titled %q", e.Href, got)
			}
		}
	}

	// The users page, with a user created through the form.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/admin/users/new"),
		chromedp.SendKeys(`[data-testid="field-email"]`, "ann@example.com"),
		chromedp.SendKeys(`[data-testid="field-password"]`, "marketer pass 1"),
		chromedp.SetValue(`[data-testid="field-role"]`, "marketer"),
		chromedp.Click(`[data-testid="user-create"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="flash"]`); got != "User ann@example.com created." {
		t.Errorf("flash %q", got)
	}
	browsertest.Screenshot(t, ctx, "users")
	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/no-such-page"), chromedp.WaitVisible(`[data-testid="error-page"]`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "not-found")

	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="logout"]`),
		chromedp.WaitVisible(`[data-testid="signed-out"]`),
	); err != nil {
		t.Fatal(err)
	}
	// Signed out, the console sends the browser back to sign in.
	var loc string
	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/admin/users"), chromedp.WaitVisible(`[data-testid="login-form"]`), chromedp.Location(&loc)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/login?next=%2Fadmin%2Fusers") {
		t.Errorf("signed-out visit landed on %s", loc)
	}
}

func TestBrowserMarketerIsRefusedAdminPages(t *testing.T) {
	a := startApp(t)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "ann@example.com", "marketer pass 1")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/users", "/admin/ips", "/admin/users/new", "/webhooks"} {
		var status string
		if err := chromedp.Run(ctx,
			chromedp.Navigate(a.URL+path),
			chromedp.WaitVisible(`[data-testid="error-page"]`),
			chromedp.AttributeValue(`[data-testid="error-page"]`, "data-status", &status, nil),
		); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if status != "403" {
			t.Errorf("%s: status %s", path, status)
		}
	}
	var nodes int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll('.sidebar-wide a[href^="/admin/"]').length`, &nodes)); err != nil {
		t.Fatal(err)
	}
	if nodes != 0 {
		t.Errorf("marketer sees %d admin links", nodes)
	}
}

func TestBrowserFormWithoutValidCSRFTokenIsRefused(t *testing.T) {
	a := startApp(t)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "ann@example.com", "marketer pass 1")); err != nil {
		t.Fatal(err)
	}
	var status string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/account"),
		chromedp.SetAttributeValue(`[data-testid="timezone-form"] input[name="_csrf"]`, "value", "forged-token", chromedp.ByQuery),
		chromedp.SetValue(`[data-testid="field-time_zone"]`, "Asia/Tokyo"),
		chromedp.Click(`[data-testid="timezone-save"]`),
		chromedp.WaitVisible(`[data-testid="error-page"]`),
		chromedp.AttributeValue(`[data-testid="error-page"]`, "data-status", &status, nil),
	); err != nil {
		t.Fatal(err)
	}
	if status != "403" {
		t.Errorf("forged token: status %s", status)
	}
	u, _ := a.store.Accounts.GetUserByEmail(context.Background(), "ann@example.com")
	if u.TimeZone != "UTC" {
		t.Errorf("the refused form changed the time zone to %s", u.TimeZone)
	}
	// With the page's own token the same form goes through.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/account"),
		chromedp.SetValue(`[data-testid="field-time_zone"]`, "Asia/Tokyo"),
		chromedp.Click(`[data-testid="timezone-save"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
}
