package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/queue"
)

// TestBrowserWebhooks: an admin adds an endpoint on the Webhooks page and
// sees its secret once; mail sent by `sesame serve` reaches the receiver;
// the endpoint's page shows the delivery log, sends a test event, rotates
// the secret; an endpoint Sesame switched off is announced by a banner.
func TestBrowserWebhooks(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []string
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer receiver.Close()
	a := launchApp(t, models.SystemClock{}, true, func(c *Config) { c.WebhookAllow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} })
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@shop.example", "Shop")
	ctx := browsertest.New(t)

	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Click(`.sidebar-wide [data-testid="nav-/webhooks"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="webhook-form"]`),
		chromedp.SendKeys(`[data-testid="field-url"]`, "ftp://nowhere"),
		chromedp.Click(`[data-testid="webhook-create"]`),
		chromedp.WaitVisible(`[data-testid="error-url"]`),
	); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.SetValue(`[data-testid="field-url"]`, receiver.URL+"/events"),
		chromedp.SendKeys(`[data-testid="field-custom_value"]`, "tenant-7"),
		chromedp.Click(`[data-testid="webhook-create"]`),
		chromedp.WaitVisible(`[data-testid="secret-once"]`),
	); err != nil {
		t.Fatal(err)
	}
	if secret := textOf(t, ctx, `[data-testid="new-secret"]`); !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("secret shown: %q", secret)
	}
	browsertest.Screenshot(t, ctx, "webhooks-created")
	browsertest.ScreenshotPhone(t, ctx, "webhooks-created")

	if _, err := a.store.Queue.Enqueue(context.Background(), queue.EnqueueRequest{Sender: sender, Transactional: true,
		Content: queue.MessageContent{Subject: "Your order", Text: "Thanks."}, To: []queue.Addressee{{Email: "ann@example.org"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { // the receiver gets an event
		mu.Lock()
		defer mu.Unlock()
		return len(bodies) > 0
	})
	mu.Lock()
	if !strings.Contains(bodies[0], `"event":"delivered"`) || !strings.Contains(bodies[0], `"subject":"Your order"`) || !strings.Contains(bodies[0], `"X-Tencentcloudses-Cb-Custom":"tenant-7"`) {
		t.Errorf("first body: %s", bodies[0])
	}
	mu.Unlock()

	eps, err := a.store.Webhooks.ListEndpoints(context.Background())
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints %v: %v", eps, err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/webhooks"),
		chromedp.Click(`[data-testid="webhook-1"] a`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="delivery-log"]`),
		chromedp.Click(`[data-testid="webhook-test"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="flash"]`); !strings.HasPrefix(got, "Test event answered 200") {
		t.Errorf("test flash %q", got)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll('[data-testid="delivery-log"] details').forEach(d => d.open = true)`, nil)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "webhook-log")
	browsertest.ScreenshotPhone(t, ctx, "webhook-log")

	// Filter: only the delivered events of the message.
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/webhooks/1?status=failed"),
		chromedp.WaitVisible(`[data-testid="empty-state"]`),
	); err != nil {
		t.Fatal(err)
	}

	// Switched off after a day of failures: the banner says so.
	if err := a.store.DB.Gorm.Exec("UPDATE webhook_endpoints SET failing_since = ?", time.Now().Add(-25*time.Hour).UTC()).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.Webhooks.SwitchOffFailing(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/webhooks"),
		chromedp.WaitVisible(`[data-testid="switched-off-banner"]`),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "webhooks-switched-off")
	browsertest.ScreenshotPhone(t, ctx, "webhooks-switched-off")
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/webhooks/1"),
		chromedp.Click(`[data-testid="webhook-enable"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="endpoint-state"]`); got != "On" {
		t.Errorf("after switching on: %q", got)
	}
}
