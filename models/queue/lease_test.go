package queue_test

import (
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
)

// A heartbeat renews the leases that have used up a third of their time
// and leaves those just claimed as they are.
func TestExtendLeasesRenewsThoseRunningOut(t *testing.T) {
	st, clock := fixtures.Store(t)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News")
	if _, err := st.Queue.Enqueue(ctx, rawRequest(sender, 1, "old@dest.test")); err != nil {
		t.Fatal(err)
	}
	const lease = time.Minute
	old, err := st.Queue.ClaimMessages(ctx, "engine", 10, lease)
	if err != nil || len(old) != 1 {
		t.Fatalf("claimed %v %v", old, err)
	}
	clock.Advance(lease/3 + time.Second)
	if _, err := st.Queue.Enqueue(ctx, rawRequest(sender, 2, "new@dest.test")); err != nil {
		t.Fatal(err)
	}
	fresh, err := st.Queue.ClaimMessages(ctx, "engine", 10, lease)
	if err != nil || len(fresh) != 1 {
		t.Fatalf("claimed %v %v", fresh, err)
	}
	clock.Advance(time.Second)
	if err := st.Queue.ExtendLeases(ctx, "engine", lease); err != nil {
		t.Fatal(err)
	}
	leaseOf := func(m queue.Message) time.Time {
		t.Helper()
		got, err := st.Queue.GetMessageByUID(ctx, m.UID)
		if err != nil || got.Status != models.StatusSending || got.LeaseUntil == nil {
			t.Fatalf("%+v %v", got, err)
		}
		return *got.LeaseUntil
	}
	if got, want := leaseOf(old[0]), clock.Now().Add(lease); !got.Equal(want) {
		t.Errorf("the older lease ends at %v, want it renewed to %v", got, want)
	}
	if got, want := leaseOf(fresh[0]), *fresh[0].LeaseUntil; !got.Equal(want) {
		t.Errorf("the lease just taken ends at %v, want it left at %v", got, want)
	}
	// Past the end of the first claim's lease, another process finds
	// neither to take.
	clock.Advance(lease * 2 / 3)
	if taken, err := st.Queue.ClaimMessages(ctx, "other", 10, lease); err != nil || len(taken) != 0 {
		t.Errorf("another engine took %d leases (%v)", len(taken), err)
	}
}
