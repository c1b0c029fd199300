package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/syncbuf"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
)

// buildSesame compiles the binary the way `make build` does.
func buildSesame(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sesame")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// childFixture is a migrated database with a verified sender, and the
// `sesame serve` binary to run on it as a child process, as an operator
// would: the tests kill it, stop it and start it again.
type childFixture struct {
	t      *testing.T
	bin    string
	db     store.Config
	store  *store.Store
	sender *identity.SenderAddress
	env    []string
}

// newChildFixture builds the binary and prepares the database; env is
// added to the child's environment (SESAME_DELIVERY, say).
func newChildFixture(t *testing.T, env ...string) *childFixture {
	t.Helper()
	f := &childFixture{t: t, bin: buildSesame(t), db: testdb.Config(t)}
	dns := dnstest.Start(t)
	cfg := Config{DataDir: f.db.DataDir, DatabaseURL: f.db.DatabaseURL, SecretKey: strings.Repeat("child-test-key-", 4), BounceHost: testdb.BounceHost}
	st, err := store.Open(context.Background(), cfg.storeConfig(slog.New(slog.DiscardHandler), models.SystemClock{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DB.Close() })
	if _, err := st.DB.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.store = st
	f.sender = fixtures.Sender(t, st, dns, "news@child.test", "Child Test")
	f.env = append(os.Environ(),
		"SESAME_DATA_DIR="+f.db.DataDir, "DATABASE_URL="+f.db.DatabaseURL, "SESAME_SECRET_KEY="+cfg.SecretKey,
		"SESAME_HTTP_ADDR=127.0.0.1:0", "SESAME_SMTP_ADDR=127.0.0.1:0", "SESAME_DNS_RESOLVER="+dns.Addr,
		"SESAME_BOUNCE_HOST="+testdb.BounceHost)
	f.env = append(f.env, env...)
	return f
}

// enqueue queues a transactional message to each of total recipients.
func (f *childFixture) enqueue(total int) []queue.Message {
	f.t.Helper()
	req := queue.EnqueueRequest{Sender: f.sender, Transactional: true, Content: queue.MessageContent{Subject: "Hi {{n}}", Text: "Message {{n}}"}}
	for i := range total {
		req.To = append(req.To, queue.Addressee{Email: "r" + strconv.Itoa(i) + "@dest.test", Variables: map[string]string{"n": strconv.Itoa(i)}})
	}
	msgs, err := f.store.Queue.Enqueue(context.Background(), req)
	if err != nil {
		f.t.Fatal(err)
	}
	return msgs
}

// start runs `sesame serve`; its output is shown if the test fails, and
// it is killed when the test ends if it still runs.
func (f *childFixture) start() (*exec.Cmd, *syncbuf.Buffer) {
	f.t.Helper()
	cmd := exec.Command(f.bin, "serve")
	cmd.Env = f.env
	logs := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if f.t.Failed() {
			f.t.Logf("child output:\n%s", logs.String())
		}
	})
	return cmd, logs
}

// delivered counts the messages recorded as delivered.
func (f *childFixture) delivered() int {
	c, err := f.store.Queue.CountMessagesByStatus(context.Background())
	if err != nil {
		return 0
	}
	return c[models.StatusDelivered]
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
