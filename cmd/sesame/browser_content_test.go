package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sesame-email/sesame/internal/browsertest"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/content"
)

// A marketer writes a template, previews it with data, creates a group,
// uploads a CSV file, watches the import's progress and reads its report.
func TestBrowserTemplateAndGroupImport(t *testing.T) {
	a := startApp(t)
	a.user(t, "ann@example.com", "marketer pass 1", accounts.RoleMarketer)
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx, signIn(ctx, a.URL, "ann@example.com", "marketer pass 1")); err != nil {
		t.Fatal(err)
	}

	// The template editor: the check panel follows typing, the preview
	// shows the HTML with the sample data, inline styles included.
	html := `<h1 style="color:#0f766e;font-family:sans-serif">Hello {{ first_name }}!</h1>` +
		`<p style="font-family:sans-serif">Your plan: <b>{{plan}}</b>. <a href="https://shop.example/unsubscribe">Unsubscribe</a></p>` +
		`<script>document.body.textContent="pwned"</script>`
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/templates/new"),
		chromedp.WaitVisible(`[data-testid="template-form"]`),
		chromedp.SetValue(`[data-testid="field-name"]`, "Spring newsletter"),
		chromedp.SetValue(`[data-testid="field-subject"]`, "Spring news for {{first_name}}"),
		chromedp.SetValue(`[data-testid="field-html"]`, html),
		chromedp.SetValue(`[data-testid="field-sample_data"]`, `{"first_name": "Ann", "plan": "Pro <yearly>"}`),
		chromedp.SendKeys(`[data-testid="field-text"]`, " "),
		chromedp.WaitVisible(`[data-testid="check-subject"]`),
	); err != nil {
		t.Fatal(err)
	}
	// A click by coordinates could land on the sticky top bar once the
	// button has been scrolled to the top of the window; click the element.
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('[data-testid="template-preview"]').click()`, nil)); err != nil {
		t.Fatal(err)
	}
	waitForJS(t, ctx, `document.querySelector('[data-testid="check-subject"]').textContent === "Spring news for Ann"`, 20*time.Second)
	if got := textOf(t, ctx, `[data-testid="check-variables"]`); got != "first_nameplan" {
		t.Errorf("variables %q", got)
	}
	// The frame's document has an opaque origin, so the page cannot read
	// it; frameHTML waits until the frame has navigated to the preview and
	// reads it through the browser.
	// Had the template's script run, it would have replaced the heading.
	if html := frameHTML(t, ctx, "/templates/preview"); !strings.Contains(html, "Hello Ann!</h1>") ||
		!strings.Contains(html, "Your plan: <b>Pro &lt;yearly&gt;</b>") {
		t.Errorf("preview document %q", html)
	}
	var sandbox string
	var ok bool
	if err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-testid="preview-frame"]`, "sandbox", &sandbox, &ok)); err != nil {
		t.Fatal(err)
	}
	if !ok || sandbox != "" {
		t.Errorf("preview frame sandbox=%q (present %v)", sandbox, ok)
	}
	viewportScreenshot(t, ctx, "template-editor")
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-testid="template-save"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="template-status"]`); got != "Approved" {
		t.Errorf("saved template status %q", got)
	}

	// A group and a CSV upload with some bad rows, big enough that the
	// import takes a moment and its progress bar can be seen.
	const rows = 30_000
	var csv strings.Builder
	csv.WriteString("email,first_name,plan\n")
	for i := range rows {
		switch {
		case i%100 == 7:
			csv.WriteString("not-an-address,X,basic\n")
		case i%250 == 3:
			csv.WriteString("\n")
		default:
			csv.WriteString("user" + strconv.Itoa(i) + "@example.com,User " + strconv.Itoa(i) + ",basic\n")
		}
	}
	file := filepath.Join(t.TempDir(), "customers.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/groups"),
		chromedp.SendKeys(`[data-testid="group-form"] [data-testid="field-name"]`, "Customers"),
		chromedp.Click(`[data-testid="group-create"]`),
		chromedp.WaitVisible(`[data-testid="upload-form"]`),
		chromedp.SetUploadFiles(`[data-testid="field-file"]`, []string{file}),
		chromedp.Click(`[data-testid="upload-submit"]`),
		chromedp.WaitVisible(`[data-testid="import-progress"], [data-testid="import-report"]`),
	); err != nil {
		t.Fatal(err)
	}
	var sawProgress bool
	_ = chromedp.Run(ctx, chromedp.Evaluate(`!!document.querySelector('[data-testid="import-progress"] progress')`, &sawProgress))
	if !sawProgress {
		t.Fatal("the import ended before its progress bar was shown")
	}
	// Wait for the bar to move (or the import to end) before the picture;
	// under the race detector the first batch can take a while.
	waitForJS(t, ctx, `!document.querySelector('[data-testid="import-progress"]') || Number(document.querySelector('[data-testid="import-progress"] progress').value) > 0`, 90*time.Second)
	browsertest.Screenshot(t, ctx, "group-import-progress")
	waitForJS(t, ctx, `!!document.querySelector('[data-testid="report-invalid"]')`, 150*time.Second)
	if err := chromedp.Run(ctx, chromedp.WaitVisible(`[data-testid="report-invalid"]`)); err != nil {
		t.Fatal(err)
	}
	waitForJS(t, ctx, `!!document.querySelector('[data-testid="recipients-table"]')`, 20*time.Second)
	if got := textOf(t, ctx, `[data-testid="report-imported"]`); got != "29,580" {
		t.Errorf("imported %q", got)
	}
	if got := textOf(t, ctx, `[data-testid="report-invalid"]`); got != "300" {
		t.Errorf("invalid %q", got)
	}
	if got := textOf(t, ctx, `[data-testid="report-problems"] tbody tr:first-child`); !strings.Contains(got, "9") || !strings.Contains(got, "bad address") {
		t.Errorf("first problem %q", got)
	}
	browsertest.Screenshot(t, ctx, "group-import-report")

	if err := chromedp.Run(ctx,
		chromedp.SendKeys(`[data-testid="recipient-search"]`, "USER29999@"),
		chromedp.Submit(`[data-testid="recipient-search"]`),
		chromedp.WaitVisible(`[data-testid="recipient-user29999@example.com"]`),
	); err != nil {
		t.Fatal(err)
	}
}

// frameHTML waits for a frame at url and returns its document. The
// preview's document has an opaque origin (Chromium even runs it in a
// process of its own), so the page's scripts cannot read it; the DevTools
// protocol can, by attaching to the frame's target.
func frameHTML(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type != "iframe" || !strings.Contains(info.URL, url) {
				continue
			}
			fctx, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
			tctx, cancel := context.WithTimeout(fctx, 5*time.Second)
			var html string
			err := chromedp.Run(tctx, chromedp.OuterHTML("html", &html, chromedp.ByQuery))
			cancel()
			if err == nil && strings.Contains(html, "<body>") {
				return html
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no frame at %s", url)
	return ""
}

// viewportScreenshot saves what the window shows, scrolled to the top.
// Headless Chromium leaves out-of-process frames (the sandboxed preview)
// blank in full-page captures.
func viewportScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	var png []byte
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.CaptureScreenshot(&png),
	); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(browsertest.ArtifactsDir(t), name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitForJS polls a JavaScript condition until it holds.
func waitForJS(t *testing.T, ctx context.Context, cond string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate(cond, &ok)); err == nil && ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", cond)
}

// An admin sees the review switch on the templates page, and the
// suppression list with entries of every kind.
func TestBrowserTemplateListAndSuppressions(t *testing.T) {
	a := startApp(t)
	a.user(t, "boss@example.com", "admin password 1", accounts.RoleAdmin)
	bg := context.Background()
	for _, name := range []string{"Welcome", "Invoice"} {
		if _, err := a.store.Templates.CreateTemplate(bg, content.TemplateInput{Name: name, Subject: name + " for {{name}}", Text: "Hi {{name}}"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	expiry := time.Now().Add(30 * 24 * time.Hour)
	for _, in := range []audience.SuppressionInput{
		{Value: "gone@example.com", Reason: audience.ReasonHardBounce, Source: "DSN 5.1.1"},
		{Value: "angry@example.org", Reason: audience.ReasonComplaint, Source: "ARF report"},
		{Value: "left@example.com", Reason: audience.ReasonUnsubscribe, ScopeDomain: "news.example.com", Source: "one-click unsubscribe"},
		{Value: "spam-trap.example", Reason: audience.ReasonManual, Source: "console", ExpiresAt: &expiry},
	} {
		if _, _, err := a.store.Suppressions.AddSuppression(bg, in); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	if err := chromedp.Run(ctx,
		signIn(ctx, a.URL, "boss@example.com", "admin password 1"),
		chromedp.Navigate(a.URL+"/templates"),
		chromedp.Click(`[data-testid="review-toggle"]`),
		chromedp.WaitVisible(`[data-testid="flash"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="review-toggle"]`); got != "Turn review off" {
		t.Errorf("review switch reads %q", got)
	}
	browsertest.Screenshot(t, ctx, "templates")
	if err := chromedp.Run(ctx,
		chromedp.Navigate(a.URL+"/suppressions"),
		chromedp.WaitVisible(`[data-testid="suppressions-table"]`),
	); err != nil {
		t.Fatal(err)
	}
	if got := textOf(t, ctx, `[data-testid="suppression-left@example.com"]`); !strings.Contains(got, "Mail from news.example.com") {
		t.Errorf("scoped unsubscribe row %q", got)
	}
	browsertest.Screenshot(t, ctx, "suppressions")

	for _, name := range []string{"Newsletter", "Customers"} {
		g, err := a.store.Audience.CreateGroup(bg, audience.GroupInput{Name: name, Description: name + " from the shop"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.store.Audience.AddRecipients(bg, g.ID, []audience.RecipientInput{{Email: "ann@example.com", Variables: map[string]string{"first_name": "Ann", "city": "Oslo"}}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(a.URL+"/groups"), chromedp.WaitVisible(`[data-testid="groups-table"]`)); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "groups")
}
