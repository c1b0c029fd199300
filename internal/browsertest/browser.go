// Package browsertest drives Debian's Chromium, headless, for console tests,
// and saves screenshots where the test run keeps its artifacts.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The desktop window's size, in CSS pixels.
const desktopWidth, desktopHeight = 1366, 900

// New starts a fresh headless Chromium (new profile, no background traffic)
// and returns a context for chromedp actions, cancelled when the test ends
// or after 3 minutes.
func New(t *testing.T) context.Context {
	t.Helper()
	return NewWithin(t, 3*time.Minute)
}

// NewWithin is New for a test that needs the browser longer than 3
// minutes, such as one that visits every page.
func NewWithin(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium not found: install Debian's chromium package (make test does so when run as root)")
	}
	// Not t.TempDir: Chromium's helpers may still be writing to the profile
	// as the browser exits, and a failed removal would fail the test.
	profile, err := os.MkdirTemp("", "sesame-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(desktopWidth, desktopHeight),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	// Answer confirm() dialogs with OK, as a user deciding to go ahead would.
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go chromedp.Run(ctx, page.HandleJavaScriptDialog(true))
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// ArtifactsDir is where screenshots go: $SESAME_ARTIFACTS, else
// test-artifacts at the repository root.
func ArtifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SESAME_ARTIFACTS")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Screenshot saves the whole page as <name>.png among the artifacts.
func Screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	var png []byte
	// A page that htmx is swapping can measure 0 wide for a moment: try again.
	for attempt := 1; ; attempt++ {
		err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100))
		if err == nil {
			break
		}
		if attempt == 3 {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	path := filepath.Join(ArtifactsDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ScreenshotPhone saves the page as a 390×844 phone shows it, as
// <name>-phone.png, then goes back to the desktop window.
func ScreenshotPhone(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("phone viewport: %v", err)
	}
	path := Screenshot(t, ctx, name+"-phone")
	// The desktop size is set again rather than the emulation reset: after
	// a reset, pages loaded next were laid out a phone's width or so.
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(desktopWidth, desktopHeight)); err != nil {
		t.Fatalf("desktop viewport: %v", err)
	}
	return path
}
