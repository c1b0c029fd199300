package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/queue"
)

// Through a relay, an admin lets the relay sign a domain's mail: the page
// says who signs, the checklist drops Sesame's DKIM record, and the mail
// reaches the relay without Sesame's signature. Without a relay the choice
// is not offered, and a forged form is refused with the reason.
func TestBrowserRelaySigns(t *testing.T) {
	sink := smtpsink.Start(t)
	a := launchApp(t, models.SystemClock{}, true, func(c *Config) { c.Delivery = "relay://" + sink.Addr + "?tls=none" })
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@relayed.test", "Relayed")
	ctx := browsertest.New(t)

	var records []string
	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(a.URL+"/domains/relayed.test"),
		chromedp.WaitVisible(`[data-testid="relay-signs"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="signed-by"]`); !strings.HasPrefix(got, "Sesame signs this domain's mail with the RSA") {
		t.Errorf("signed by, before: %q", got)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="relay-signs"]`),
		chromedp.Click(`[data-testid="confirm-ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid="sesame-signs"]`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid^="record-"][data-kind]')].map(e => e.dataset.kind)`, &records),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="signed-by"]`); !strings.Contains(got, "The relay, "+sink.Addr+", signs this domain's mail") {
		t.Errorf("signed by, after: %q", got)
	}
	if strings.Join(records, ",") != "ownership,spf,dmarc,return_path,return_path_spf" {
		t.Errorf("checklist while the relay signs: %v", records)
	}
	browsertest.Screenshot(t, ctx, "domain-relay-signs")
	browsertest.ScreenshotPhone(t, ctx, "domain-relay-signs")

	if _, err := a.store.Queue.Enqueue(context.Background(), queue.EnqueueRequest{Sender: sender, Transactional: true,
		Content: queue.MessageContent{Subject: "Hi", Text: "Hello"}, To: []queue.Addressee{{Email: "ann@dest.test"}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool { return sink.Accepted() >= 1 })
	if data := string(sink.Mails()[0].Data); strings.Contains(data, "DKIM-Signature:") || !strings.Contains(data, "Subject: Hi") {
		t.Errorf("mail for the relay to sign:\n%s", data)
	}

	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="sesame-signs"]`),
		chromedp.WaitVisible(`[data-testid="relay-signs"]`),
	); err != nil {
		t.Fatal(err)
	}

	// Without a relay: not offered, and refused when posted anyway.
	b := startApp(t)
	b.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	fixtures.Sender(t, b.store, b.DNS, "news@direct.test", "Direct")
	bctx := browsertest.New(t)
	var offered int
	if err := chromedp.Run(bctx,
		signIn(bctx, b.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(b.URL+"/domains/direct.test"),
		chromedp.WaitVisible(`[data-testid="signed-by"]`),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid="relay-signs"]').length`, &offered),
		chromedp.Evaluate(`(() => { const f = document.querySelector('form[action$="/dkim"]').cloneNode(true);
			f.action = '/domains/direct.test/signing'; f.querySelector('[name="algorithm"]').remove();
			const i = document.createElement('input'); i.name = 'relay_signs'; i.value = 'on'; f.appendChild(i);
			document.body.appendChild(f); f.submit(); })()`, nil),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if offered != 0 {
		t.Error("the relay signs is offered without a relay")
	}
	if got := textOf(t, bctx, `[data-testid="flash"]`); !strings.Contains(got, "Only a relay can sign for Sesame") {
		t.Errorf("refusal without a relay: %q", got)
	}
	browsertest.Screenshot(t, bctx, "domain-relay-signs-refused")
}
