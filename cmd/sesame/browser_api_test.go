package main

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/models/accounts"
)

func TestBrowserAPIKeysAndConnectionPage(t *testing.T) {
	a := startApp(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	ann, err := a.store.Accounts.GetUserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.store.Accounts.CreateAPIKey(context.Background(), ann.ID, "newsletter importer"); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)

	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(a.URL+"/api-keys"),
		chromedp.WaitVisible(`[data-testid="api-key-form"]`),
		chromedp.SendKeys(`[data-testid="field-name"]`, "billing service"),
		chromedp.Click(`[data-testid="api-key-create"]`),
		chromedp.WaitVisible(`[data-testid="secret-once"]`),
	); err != nil {
		t.Fatal(err)
	}
	id, secret := textOf(t, ctx, `[data-testid="new-secret-id"]`), textOf(t, ctx, `[data-testid="new-secret-key"]`)
	auth, err := a.store.Accounts.AuthenticateAPIKey(context.Background(), id)
	if err != nil || auth.SecretKey != secret {
		t.Fatalf("the key shown does not authenticate: %v", err)
	}
	browsertest.Screenshot(t, ctx, "api-keys-created")

	// Shown once: the list no longer has it.
	var html string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/api-keys"),
		chromedp.WaitVisible(`[data-testid="api-keys-table"]`),
		chromedp.OuterHTML("main", &html),
	); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, secret) || !strings.Contains(html, id) || !strings.Contains(html, "ann@example.com") {
		t.Fatalf("the list after creating:\n%s", html)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="api-key-`+id+`"] [data-testid="revoke"]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid="confirm-ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="api-key-`+id+`"] [data-testid="key-status"]`); !strings.HasPrefix(got, "Revoked") {
		t.Errorf("after revoking: %q", got)
	}
	if _, err := a.store.Accounts.AuthenticateAPIKey(context.Background(), id); err == nil {
		t.Error("the revoked key still authenticates")
	}
	browsertest.Screenshot(t, ctx, "api-keys")

	if err := chromedp.Run(ctx,
		chromedp.Click(`.sidebar-wide [data-testid="nav-/api-smtp"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="sdk-example"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="api-endpoint"]`); got != a.URL {
		t.Errorf("endpoint %q, want %q", got, a.URL)
	}
	if got := textOf(t, ctx, `[data-testid="sdk-example"]`); !strings.Contains(got, `prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = "`+strings.TrimPrefix(a.URL, "http://")+`", "http"`) {
		t.Errorf("the example does not point at this Sesame:\n%s", got)
	}
	browsertest.Screenshot(t, ctx, "api-smtp")
}
