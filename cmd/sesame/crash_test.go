package main

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
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

// A `sesame serve` killed with SIGKILL in the middle of 5,000 messages and
// restarted delivers every message at least once: only messages in flight at
// the kill go out twice, each time with the same Message-ID, and no row is
// left in sending.
func TestCrashRecovery(t *testing.T) {
	bin := buildSesame(t)
	dbcfg := testdb.Config(t)
	dns := dnstest.Start(t)
	sink := smtpsink.Start(t)
	cfg := Config{DataDir: dbcfg.DataDir, DatabaseURL: dbcfg.DatabaseURL, SecretKey: strings.Repeat("crash-test-key-", 4), BounceHost: testdb.BounceHost}
	st, err := models.Open(context.Background(), cfg.storeConfig(slog.New(slog.DiscardHandler), models.SystemClock{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	sender := fixtures.Sender(t, st, dns, "news@crash.test", "Crash Test")
	const total = 5000
	req := models.EnqueueRequest{Sender: sender, Transactional: true, Content: models.MessageContent{Subject: "Hi {{n}}", Text: "Message {{n}}"}}
	for i := 0; i < total; i++ {
		req.To = append(req.To, models.Addressee{Email: "r" + strconv.Itoa(i) + "@dest.test", Variables: map[string]string{"n": strconv.Itoa(i)}})
	}
	msgs, err := st.Enqueue(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	env := append(os.Environ(),
		"SESAME_DATA_DIR="+dbcfg.DataDir, "DATABASE_URL="+dbcfg.DatabaseURL, "SESAME_SECRET_KEY="+cfg.SecretKey,
		"SESAME_HTTP_ADDR=127.0.0.1:0", "SESAME_SMTP_ADDR=127.0.0.1:0", "SESAME_DNS_RESOLVER="+dns.Addr,
		"SESAME_BOUNCE_HOST="+testdb.BounceHost, "SESAME_DELIVERY=relay://"+sink.Addr+"?tls=none", "SESAME_QUEUE_LEASE=2s")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		var logs bytes.Buffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
			if t.Failed() {
				t.Logf("child output:\n%s", logs.String())
			}
		})
		return cmd
	}

	child := start()
	waitFor(t, 60*time.Second, func() bool { return sink.Accepted() >= 1500 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	inFlight := map[string]bool{}
	for _, m := range msgs {
		got, err := st.GetMessageByUID(context.Background(), m.UID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status == models.StatusSending {
			inFlight[got.UID] = true
		}
	}
	if len(inFlight) == 0 || sink.Accepted() >= total {
		t.Fatalf("the kill came too late to test anything: %d in flight, %d accepted", len(inFlight), sink.Accepted())
	}

	child = start()
	waitFor(t, 120*time.Second, func() bool {
		c, err := st.CountMessagesByStatus(context.Background())
		return err == nil && c[models.StatusDelivered] == total
	})
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}

	seen := map[string]int{}
	for _, m := range sink.Mails() {
		h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(m.Data))).ReadMIMEHeader()
		if err != nil {
			t.Fatal(err)
		}
		id := strings.Trim(h.Get("Message-Id"), "<>")
		uid, _, _ := strings.Cut(id, "@")
		seen[uid]++
	}
	duplicates := 0
	for _, m := range msgs {
		switch n := seen[m.UID]; {
		case n == 0:
			t.Errorf("%s never delivered", m.UID)
		case n > 1:
			duplicates++
			if !inFlight[m.UID] {
				t.Errorf("%s delivered %d times but was not in flight at the kill", m.UID, n)
			}
		}
	}
	c, _ := st.CountMessagesByStatus(context.Background())
	if c[models.StatusSending] != 0 || c[models.StatusDelivered] != total {
		t.Errorf("final statuses %v", c)
	}
	t.Logf("%d in flight at the kill, %d delivered twice, %d accepted by the sink", len(inFlight), duplicates, sink.Accepted())
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

// A `sesame serve` killed with SIGKILL while it queues a large run resumes
// where it stopped when restarted: every recipient gets exactly one message.
func TestCrashDuringMaterialisation(t *testing.T) {
	bin := buildSesame(t)
	dbcfg := testdb.Config(t)
	dns := dnstest.Start(t)
	cfg := Config{DataDir: dbcfg.DataDir, DatabaseURL: dbcfg.DatabaseURL, SecretKey: strings.Repeat("crash-test-key-", 4), BounceHost: testdb.BounceHost}
	st, err := models.Open(context.Background(), cfg.storeConfig(slog.New(slog.DiscardHandler), models.SystemClock{}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	sender := fixtures.Sender(t, st, dns, "news@crash.test", "Crash Test")
	tpl := fixtures.Template(t, st, "Crash")
	const total = 30_000
	g := fixtures.Group(t, st, "Many", total)
	task, err := st.CreateTask(context.Background(), models.TaskInput{Name: "Big", SenderID: sender.ID, TemplateID: tpl.ID, GroupID: g.ID,
		Kind: models.TaskBatch, TimeZone: "UTC"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"SESAME_DATA_DIR="+dbcfg.DataDir, "DATABASE_URL="+dbcfg.DatabaseURL, "SESAME_SECRET_KEY="+cfg.SecretKey,
		"SESAME_HTTP_ADDR=127.0.0.1:0", "SESAME_SMTP_ADDR=127.0.0.1:0", "SESAME_DNS_RESOLVER="+dns.Addr,
		"SESAME_BOUNCE_HOST="+testdb.BounceHost, "SESAME_DELIVERY=sandbox")
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		})
		return cmd
	}
	runOf := func() *models.TaskRun {
		runs, err := st.TaskRuns(context.Background(), task.ID, 1)
		if err != nil || len(runs) == 0 {
			return nil
		}
		return &runs[0]
	}

	child := start()
	waitFor(t, 60*time.Second, func() bool { r := runOf(); return r != nil && r.MaterialisedThrough != "" })
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	if r := runOf(); r.Status != models.RunMaterialising {
		t.Fatalf("the kill came too late: run is %s", r.Status)
	}

	child = start()
	waitFor(t, 120*time.Second, func() bool { r := runOf(); return r != nil && r.Status != models.RunMaterialising })
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	r := runOf()
	counts, err := st.CountRun(context.Background(), r.ID)
	if err != nil || counts.Total() != total || r.Requested != total {
		t.Fatalf("after the restart: %d messages, requested %d, for %d recipients (%v)", counts.Total(), r.Requested, total, err)
	}
}
