package api_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/handlers"
	"github.com/sesame-email/sesame/models/queue"
)

// The Go example the console and the README show compiles and sends
// through this API as it is written.
func TestTheSDKExampleSends(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	e := newEnv(t)
	e.verifiedSender("news@example.com", "Example News")
	if id := e.template(t, "Welcome", "<p>Hello {{name}}</p>"); id != 1 {
		t.Fatalf("template id %d: the example sends template 1", id)
	}
	// Inside the module, so the program builds with its go.mod; testdata
	// is not a package of ./... .
	dir, err := os.MkdirTemp("testdata", "example-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	must(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(handlers.SDKExample(e.Host, "http")), 0o644))
	cmd := exec.Command(goBin, "run", "./"+dir)
	cmd.Env = append(os.Environ(), "TENCENTCLOUD_SECRET_ID="+e.MarketerKey.SecretID, "TENCENTCLOUD_SECRET_KEY="+e.MarketerKey.SecretKey)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "queued: ") {
		t.Fatalf("the example: %v\n%s", err, out)
	}
	uid := strings.TrimSpace(strings.TrimPrefix(string(out), "queued: "))
	msgs, _, err := e.Store.Queue.FindMessages(ctx, queue.MessageQuery{Day: time.Now(), Request: uid})
	must(t, err)
	if len(msgs) != 1 || msgs[0].Recipient != "ann@example.org" || msgs[0].FromName != "Example News" {
		t.Fatalf("queued: %+v", msgs)
	}
}

// The README shows the same example, for localhost:8080.
func TestTheREADMEShowsTheExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	must(t, err)
	if !strings.Contains(string(readme), "## Sending from code") || !strings.Contains(string(readme), handlers.SDKExample("localhost:8080", "http")) {
		t.Error(`README.md's "Sending from code" does not show handlers.SDKExample("localhost:8080", "http")`)
	}
}
