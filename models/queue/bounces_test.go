package queue_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
)

// sentMessages sends from news@example.test with the outcomes given.
func sentMessages(t *testing.T, st *store.Store, transactional bool, outcome map[string]models.MessageStatus) map[string]*queue.Message {
	t.Helper()
	return fixtures.Sent(t, st, fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News"), transactional, outcome)
}

func reload(t *testing.T, st *store.Store, uid string) *queue.Message {
	t.Helper()
	m, err := st.Queue.GetMessageByUID(ctx, uid)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func ref(m *queue.Message) queue.MessageRef {
	return queue.MessageRef{UID: m.UID, Domain: "example.test"}
}

// eventTypes lists a message's events after it was sent.
func eventTypes(t *testing.T, st *store.Store, m *queue.Message) []string {
	t.Helper()
	events, err := st.Queue.MessageEvents(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.Type != "queued" {
			out = append(out, e.Type+": "+e.Detail)
		}
	}
	return out
}

// domainCounts reads the warm-up counts of example.test on the message's day.
func domainCounts(t *testing.T, st *store.Store, m *queue.Message) (hardBounced, complained int) {
	t.Helper()
	_, hard, complaints, err := st.Queue.WarmupCounts(ctx, "domain", m.DomainID, m.SentOn)
	if err != nil {
		t.Fatal(err)
	}
	return hard, complaints
}

func suppressionOf(t *testing.T, st *store.Store, email string) (audience.Suppression, bool) {
	t.Helper()
	found, err := st.Suppressions.SuppressionsOf(ctx, []string{email})
	if err != nil {
		t.Fatal(err)
	}
	s, ok := found[email]
	return s, ok
}

func TestHardBounceReportOnceAndOnlyOnce(t *testing.T) {
	st, _ := fixtures.Store(t)
	msgs := sentMessages(t, st, false, map[string]models.MessageStatus{
		"gone@dest.test": models.StatusDelivered, "lost@dest.test": models.StatusDeferred, "fine@dest.test": models.StatusDelivered,
	})
	gone, lost := msgs["gone@dest.test"], msgs["lost@dest.test"]
	if gone.SentOn == "" {
		t.Fatal("a bulk message has no warm-up day")
	}
	bounce := queue.Bounce{Message: ref(gone), Hard: true, Status: "5.1.1", Diagnostic: "550 5.1.1 <gone@dest.test>: User unknown"}
	for i, want := range []bool{true, false, false} { // the first report, then replays
		changed, err := st.Queue.RecordBounce(ctx, bounce)
		if err != nil || changed != want {
			t.Fatalf("report %d: changed %v, err %v", i, changed, err)
		}
	}
	got := reload(t, st, gone.UID)
	if got.Status != models.StatusBounced || got.LastReply != "5.1.1 550 5.1.1 <gone@dest.test>: User unknown" {
		t.Errorf("after the bounce: %s %q", got.Status, got.LastReply)
	}
	if ev := eventTypes(t, st, gone); len(ev) != 2 || ev[1] != "bounced: 5.1.1 550 5.1.1 <gone@dest.test>: User unknown" {
		t.Errorf("events %q", ev)
	}
	s, ok := suppressionOf(t, st, "gone@dest.test")
	if !ok || s.Reason != audience.ReasonHardBounce || s.ScopeDomain != "" {
		t.Errorf("suppression %+v %v", s, ok)
	}
	if hard, complaints := domainCounts(t, st, gone); hard != 1 || complaints != 0 {
		t.Errorf("warm-up counted %d hard bounces, %d complaints", hard, complaints)
	}

	// A deferred message whose accepted attempt bounces later stops retrying.
	if changed, err := st.Queue.RecordBounce(ctx, queue.Bounce{Message: ref(lost), Hard: true, Status: "5.2.1", Diagnostic: "mailbox disabled"}); err != nil || !changed {
		t.Fatalf("deferred: %v %v", changed, err)
	}
	if got := reload(t, st, lost.UID); got.Status != models.StatusBounced {
		t.Errorf("deferred message is %s", got.Status)
	}
	if hard, _ := domainCounts(t, st, gone); hard != 2 {
		t.Errorf("warm-up counted %d hard bounces after the second", hard)
	}
	if _, ok := suppressionOf(t, st, "fine@dest.test"); ok {
		t.Error("a recipient nobody reported is suppressed")
	}
}

func TestHardBounceAfterSynchronousBounceChangesNothing(t *testing.T) {
	st, _ := fixtures.Store(t)
	m := sentMessages(t, st, false, map[string]models.MessageStatus{"gone@dest.test": models.StatusBounced})["gone@dest.test"]
	before := eventTypes(t, st, m)
	changed, err := st.Queue.RecordBounce(ctx, queue.Bounce{Message: ref(m), Hard: true, Status: "5.1.1"})
	if err != nil || changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	if after := eventTypes(t, st, m); len(after) != len(before) {
		t.Errorf("events %q became %q", before, after)
	}
	if hard, _ := domainCounts(t, st, m); hard != 1 {
		t.Errorf("warm-up counted %d hard bounces for one message", hard)
	}
}

func TestSoftBounceIsNotedOncePerNotice(t *testing.T) {
	st, _ := fixtures.Store(t)
	m := sentMessages(t, st, false, map[string]models.MessageStatus{"slow@dest.test": models.StatusDelivered})["slow@dest.test"]
	first := queue.Bounce{Message: ref(m), Status: "4.4.1", Diagnostic: "connect to mx.dest.test: Connection timed out", Fingerprint: "aaaa"}
	later := first
	later.Fingerprint = "bbbb"
	for i, step := range []struct {
		b    queue.Bounce
		want bool
	}{{first, true}, {first, false}, {later, true}} {
		changed, err := st.Queue.RecordBounce(ctx, step.b)
		if err != nil || changed != step.want {
			t.Fatalf("notice %d: changed %v, err %v", i, changed, err)
		}
	}
	got := reload(t, st, m.UID)
	if got.Status != models.StatusDelivered {
		t.Errorf("a soft bounce changed the status to %s", got.Status)
	}
	if ev := eventTypes(t, st, m); len(ev) != 3 || ev[1] != "soft_bounced: 4.4.1 connect to mx.dest.test: Connection timed out" || ev[2] != ev[1] {
		t.Errorf("events %q", ev)
	}
	if _, ok := suppressionOf(t, st, "slow@dest.test"); ok {
		t.Error("a soft bounce suppressed the recipient")
	}
	if hard, _ := domainCounts(t, st, m); hard != 0 {
		t.Errorf("a soft bounce counted as %d hard bounces", hard)
	}
}

func TestComplaintOncePerMessage(t *testing.T) {
	st, _ := fixtures.Store(t)
	m := sentMessages(t, st, false, map[string]models.MessageStatus{"angry@dest.test": models.StatusDelivered})["angry@dest.test"]
	c := queue.Complaint{Message: ref(m), FeedbackType: "abuse", Reporter: "Yahoo!-Mail-Feedback/2.0"}
	for i, want := range []bool{true, false} {
		changed, err := st.Queue.RecordComplaint(ctx, c)
		if err != nil || changed != want {
			t.Fatalf("report %d: changed %v, err %v", i, changed, err)
		}
	}
	// Another feedback loop's report about the same message is the same complaint.
	c.Reporter = "Microsoft Junk Mail Reporting Program"
	if changed, err := st.Queue.RecordComplaint(ctx, c); err != nil || changed {
		t.Fatalf("second reporter: changed %v, err %v", changed, err)
	}
	if got := reload(t, st, m.UID); got.Status != models.StatusDelivered {
		t.Errorf("status %s", got.Status)
	}
	if ev := eventTypes(t, st, m); len(ev) != 2 || ev[1] != "complained: abuse report from Yahoo!-Mail-Feedback/2.0" {
		t.Errorf("events %q", ev)
	}
	s, ok := suppressionOf(t, st, "angry@dest.test")
	if !ok || s.Reason != audience.ReasonComplaint {
		t.Errorf("suppression %+v %v", s, ok)
	}
	if hard, complaints := domainCounts(t, st, m); hard != 0 || complaints != 1 {
		t.Errorf("warm-up counted %d hard bounces, %d complaints", hard, complaints)
	}
}

func TestTransactionalReportsSkipWarmup(t *testing.T) {
	st, _ := fixtures.Store(t)
	m := sentMessages(t, st, true, map[string]models.MessageStatus{"otp@dest.test": models.StatusDelivered})["otp@dest.test"]
	if m.SentOn != "" {
		t.Fatalf("transactional message took quota on %s", m.SentOn)
	}
	if changed, err := st.Queue.RecordBounce(ctx, queue.Bounce{Message: ref(m), Hard: true, Status: "5.1.1"}); err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	if _, ok := suppressionOf(t, st, "otp@dest.test"); !ok {
		t.Error("a transactional recipient that bounced is not suppressed")
	}
}

func TestReportsAboutUnknownMessages(t *testing.T) {
	st, _ := fixtures.Store(t)
	m := sentMessages(t, st, false, map[string]models.MessageStatus{"ann@dest.test": models.StatusDelivered})["ann@dest.test"]
	for name, r := range map[string]queue.MessageRef{
		"unknown uid":    {UID: queue.NewMessageUID(), Domain: "example.test"},
		"another domain": {UID: m.UID, Domain: "other.test"},
		"malformed uid":  {UID: "' OR 1=1 --", Domain: "example.test"},
		"no domain":      {UID: m.UID},
	} {
		if _, err := st.Queue.RecordBounce(ctx, queue.Bounce{Message: r, Hard: true, Status: "5.1.1"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: bounce %v", name, err)
		}
		if _, err := st.Queue.RecordComplaint(ctx, queue.Complaint{Message: r, FeedbackType: "abuse"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: complaint %v", name, err)
		}
	}
	if got := reload(t, st, m.UID); got.Status != models.StatusDelivered {
		t.Errorf("status %s", got.Status)
	}
}

func TestConcurrentReplaysCountOnce(t *testing.T) {
	st, _ := fixtures.Store(t)
	m := sentMessages(t, st, false, map[string]models.MessageStatus{"gone@dest.test": models.StatusDelivered})["gone@dest.test"]
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changes int
	)
	for range 8 {
		wg.Go(func() {
			changed, err := st.Queue.RecordBounce(ctx, queue.Bounce{Message: ref(m), Hard: true, Status: "5.1.1"})
			if err != nil {
				t.Error(err)
			}
			if changed {
				mu.Lock()
				changes++
				mu.Unlock()
			}
			if _, err := st.Queue.RecordComplaint(ctx, queue.Complaint{Message: ref(m), FeedbackType: "abuse"}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if changes != 1 {
		t.Errorf("%d of 8 concurrent copies changed something", changes)
	}
	if hard, complaints := domainCounts(t, st, m); hard != 1 || complaints != 1 {
		t.Errorf("warm-up counted %d hard bounces, %d complaints", hard, complaints)
	}
	if ev := eventTypes(t, st, m); len(ev) != 3 {
		t.Errorf("events %q", ev)
	}
}
