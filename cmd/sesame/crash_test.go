package main

import (
	"bufio"
	"bytes"
	"context"
	"net/textproto"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/tasks"
)

// A `sesame serve` killed with SIGKILL in the middle of 5,000 messages and
// restarted delivers every message at least once: only messages in flight at
// the kill go out twice, each time with the same Message-ID, and no row is
// left in sending.
func TestCrashRecovery(t *testing.T) {
	sink := smtpsink.Start(t)
	f := newChildFixture(t, "SESAME_DELIVERY=relay://"+sink.Addr+"?tls=none", "SESAME_QUEUE_LEASE=2s")
	const total = 5000
	msgs := f.enqueue(total)

	child, _ := f.start()
	waitFor(t, 60*time.Second, func() bool { return sink.Accepted() >= 1500 })
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()

	inFlight := map[string]bool{}
	for _, m := range msgs {
		got, err := f.store.Queue.GetMessageByUID(context.Background(), m.UID)
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

	child, _ = f.start()
	waitFor(t, 120*time.Second, func() bool { return f.delivered() == total })
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
	c, _ := f.store.Queue.CountMessagesByStatus(context.Background())
	if c[models.StatusSending] != 0 || c[models.StatusDelivered] != total {
		t.Errorf("final statuses %v", c)
	}
	t.Logf("%d in flight at the kill, %d delivered twice, %d accepted by the sink", len(inFlight), duplicates, sink.Accepted())
}

// A `sesame serve` killed with SIGKILL while it queues a large run resumes
// where it stopped when restarted: every recipient gets exactly one message.
func TestCrashDuringMaterialisation(t *testing.T) {
	f := newChildFixture(t, "SESAME_DELIVERY=sandbox")
	tpl := fixtures.Template(t, f.store, "Crash")
	const total = 30_000
	g := fixtures.Group(t, f.store, "Many", total)
	task, err := f.store.Tasks.CreateTask(context.Background(), tasks.TaskInput{Name: "Big", SenderID: f.sender.ID, TemplateID: tpl.ID, GroupID: g.ID,
		Kind: tasks.TaskBatch, TimeZone: "UTC"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	runOf := func() *tasks.TaskRun {
		runs, err := f.store.Tasks.TaskRuns(context.Background(), task.ID, 1)
		if err != nil || len(runs) == 0 {
			return nil
		}
		return &runs[0]
	}

	child, _ := f.start()
	waitFor(t, 60*time.Second, func() bool { r := runOf(); return r != nil && r.MaterialisedThrough != "" })
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	if r := runOf(); r.Status != tasks.RunMaterialising {
		t.Fatalf("the kill came too late: run is %s", r.Status)
	}

	child, _ = f.start()
	waitFor(t, 120*time.Second, func() bool { r := runOf(); return r != nil && r.Status != tasks.RunMaterialising })
	child.Process.Signal(syscall.SIGTERM)
	if err := child.Wait(); err != nil {
		t.Errorf("graceful shutdown: %v", err)
	}
	r := runOf()
	counts, err := f.store.Tasks.CountRun(context.Background(), r.ID)
	if err != nil || counts.Total() != total || r.Requested != total {
		t.Fatalf("after the restart: %d messages, requested %d, for %d recipients (%v)", counts.Total(), r.Requested, total, err)
	}
}
