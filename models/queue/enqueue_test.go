package queue_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"gorm.io/gorm"
)

func rawRequest(sender *identity.SenderAddress, n int, to ...string) queue.EnqueueRequest {
	req := queue.EnqueueRequest{Sender: sender, Content: queue.MessageContent{Raw: fmt.Appendf(nil, "From: %s\r\nSubject: %d\r\n\r\nmessage %d\r\n", sender.Email, n, n)}}
	for _, email := range to {
		req.To = append(req.To, queue.Addressee{Email: email})
	}
	return req
}

// checkQueued fails unless msgs are what req queued: one message each
// recipient, all on a content holding req's raw message.
func checkQueued(t *testing.T, st *store.Store, req queue.EnqueueRequest, msgs []queue.Message) {
	t.Helper()
	if len(msgs) != len(req.To) {
		t.Fatalf("%d messages for %d recipients", len(msgs), len(req.To))
	}
	for i, m := range msgs {
		stored, err := st.Queue.GetMessageByUID(ctx, m.UID)
		if err != nil || stored.ID != m.ID || stored.ContentID != m.ContentID || stored.Recipient != req.To[i].Email || stored.Status != models.StatusQueued {
			t.Errorf("message %d: %+v, stored %+v %v", i, m, stored, err)
			continue
		}
		c, err := st.Queue.GetMessageContent(ctx, m.ContentID)
		if err != nil || string(c.Raw) != string(req.Content.Raw) {
			t.Errorf("message %d has content %q (%v), want %q", i, c.Raw, err, req.Content.Raw)
		}
	}
}

func TestConcurrentEnqueuesEachGetTheirOwnRows(t *testing.T) {
	st, _ := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News")
	var wg sync.WaitGroup
	for n := range 40 {
		wg.Go(func() {
			req := rawRequest(sender, n, fmt.Sprintf("a%d@dest.test", n), fmt.Sprintf("b%d@dest.test", n))
			msgs, err := st.Queue.Enqueue(ctx, req)
			if err != nil {
				t.Error(err)
				return
			}
			checkQueued(t, st, req, msgs)
		})
	}
	// A big request commits on its own, beside the groups.
	var big []string
	for i := range 150 {
		big = append(big, fmt.Sprintf("c%d@dest.test", i))
	}
	wg.Go(func() {
		req := rawRequest(sender, 40, big...)
		msgs, err := st.Queue.Enqueue(ctx, req)
		if err != nil {
			t.Error(err)
			return
		}
		checkQueued(t, st, req, msgs)
	})
	wg.Wait()
	if c, _ := st.Queue.CountMessagesByStatus(ctx); c[models.StatusQueued] != 80+150 {
		t.Errorf("queued %v", c)
	}
}

func TestABadRequestDoesNotFailItsGroup(t *testing.T) {
	st, _ := fixtures.Store(t)
	dns := dnstest.Start(t)
	good := fixtures.Sender(t, st, dns, "news@example.test", "News")
	gone := fixtures.Sender(t, st, dns, "news@gone.test", "Gone")
	if err := st.Domains.DeleteDomain(ctx, gone.DomainID); err != nil {
		t.Fatal(err)
	}
	reqs := []queue.EnqueueRequest{
		rawRequest(good, 1, "ann@dest.test"),
		rawRequest(gone, 2, "bob@dest.test"), // its domain is no more: the insert fails
		rawRequest(good, 3, "cid@dest.test", "dan@dest.test"),
		{Sender: good}, // no recipient: refused before the commit
	}
	msgs, errs := st.Queue.EnqueueTogether(ctx, reqs)
	if errs[0] != nil || errs[1] == nil || errs[2] != nil || errs[3] == nil {
		t.Fatalf("errors %v", errs)
	}
	checkQueued(t, st, reqs[0], msgs[0])
	checkQueued(t, st, reqs[2], msgs[2])
	if c, _ := st.Queue.CountMessagesByStatus(ctx); c[models.StatusQueued] != 3 {
		t.Errorf("queued %v", c)
	}
	// A group that goes through: every request on its own content.
	together := []queue.EnqueueRequest{reqs[0], reqs[2]}
	msgs, errs = st.Queue.EnqueueTogether(ctx, together)
	if errs[0] != nil || errs[1] != nil || msgs[0][0].ContentID == msgs[1][0].ContentID {
		t.Fatalf("%v %+v", errs, msgs)
	}
	checkQueued(t, st, together[0], msgs[0])
	checkQueued(t, st, together[1], msgs[1])
}

func TestGetMessageContentsLoadsThoseThatExist(t *testing.T) {
	st, _ := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News")
	want := map[uint64]string{}
	var ids []uint64
	for n := range 3 {
		req := rawRequest(sender, n, fmt.Sprintf("r%d@dest.test", n))
		msgs, err := st.Queue.Enqueue(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want[msgs[0].ContentID] = string(req.Content.Raw)
		ids = append(ids, msgs[0].ContentID)
	}
	rows, err := st.Queue.GetMessageContents(ctx, append(ids, ids[2]+1000))
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v; want the 3 that exist", len(rows), err)
	}
	for _, c := range rows {
		if string(c.Raw) != want[c.ID] {
			t.Errorf("content %d: %q, want %q", c.ID, c.Raw, want[c.ID])
		}
	}
}

// A request's guard runs in the transaction that stores it; one that
// refuses (db.Refusal) or fails refuses its own request alone, whatever
// group it shares.
func TestAFailingGuardRefusesItsOwnRequestAlone(t *testing.T) {
	st, _ := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News")
	refused, failed := errors.New("refused by its guard"), errors.New("its guard failed")
	var wg sync.WaitGroup
	var ran atomic.Int64
	for n := range 20 {
		wg.Go(func() {
			req := rawRequest(sender, n, fmt.Sprintf("g%d@dest.test", n))
			req.Guard = func(*gorm.DB) error {
				ran.Add(1)
				switch n {
				case 7:
					return &db.Refusal{Err: refused}
				case 11:
					return failed
				}
				return nil
			}
			msgs, err := st.Queue.Enqueue(ctx, req)
			switch {
			case n == 7 && err != refused:
				t.Errorf("the refused request: %v, want its guard's refusal", err)
			case n == 11 && !errors.Is(err, failed):
				t.Errorf("the request whose guard failed: %v, want its guard's error", err)
			case n != 7 && n != 11 && err != nil:
				t.Errorf("request %d: %v", n, err)
			case n != 7 && n != 11:
				checkQueued(t, st, req, msgs)
			}
		})
	}
	wg.Wait()
	if ran.Load() < 20 {
		t.Errorf("guards ran %d times for 20 requests", ran.Load())
	}
	c, err := st.Queue.CountMessagesByStatus(ctx)
	if err != nil || c[models.StatusQueued] != 18 {
		t.Errorf("queued %v (%v), want 18", c, err)
	}
}
