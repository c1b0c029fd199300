package models_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
)

// Concurrent requests through one Enqueuer share transactions, yet each
// gets its own content and messages back, stored.
func TestEnqueuerGroupsConcurrentRequests(t *testing.T) {
	ctx := context.Background()
	st := testdb.Open(t, models.SystemClock{})
	dns := dnstest.Start(t)
	sender := fixtures.Sender(t, st, dns, "news@example.test", "News")
	e := st.NewEnqueuer()

	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[uint64]bool{}
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for i := 0; i < 25; i++ {
				subject := "g" + strconv.Itoa(g) + "-" + strconv.Itoa(i)
				to := []models.Addressee{{Email: subject + "-a@dest.test"}}
				if i%3 == 0 {
					to = append(to, models.Addressee{Email: subject + "-b@dest.test", Variables: map[string]string{"n": subject}})
				}
				msgs, err := e.Enqueue(ctx, models.EnqueueRequest{Sender: sender, Content: models.MessageContent{Subject: subject, Text: "x"}, To: to})
				if err != nil {
					t.Error(err)
					return
				}
				if len(msgs) != len(to) {
					t.Errorf("%s: %d messages for %d recipients", subject, len(msgs), len(to))
					return
				}
				for k, m := range msgs {
					stored, err := st.GetMessage(ctx, m.ID)
					if err != nil || stored.UID != m.UID || stored.Recipient != to[k].Email || stored.ContentID != m.ContentID {
						t.Errorf("%s: message %+v stored as %+v (%v)", subject, m, stored, err)
						return
					}
					c, err := st.GetMessageContent(ctx, m.ContentID)
					if err != nil || c.Subject != subject {
						t.Errorf("%s: its content is %+v (%v)", subject, c, err)
						return
					}
					mu.Lock()
					if seen[m.ID] {
						t.Errorf("id %d handed out twice", m.ID)
					}
					seen[m.ID] = true
					mu.Unlock()
				}
			}
		})
	}
	// A request that fails its checks fails alone, at once.
	_, err := e.Enqueue(ctx, models.EnqueueRequest{Sender: sender, Content: models.MessageContent{Subject: "bad"}, To: []models.Addressee{{Email: "not an address"}}})
	var verr *models.ValidationError
	if !errors.As(err, &verr) {
		t.Errorf("a bad address: %v", err)
	}
	wg.Wait()
	counts, err := st.CountMessagesByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := 8 * (25 + 9); counts[models.StatusQueued] != want || len(seen) != want {
		t.Errorf("%d queued, %d distinct ids; want %d", counts[models.StatusQueued], len(seen), want)
	}
}
