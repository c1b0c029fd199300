package retention_test

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/queue"
)

// BenchmarkPrune: the rate at which a day of delivered messages (with
// their queued and delivered events) is removed, and the longest a claim
// waited meanwhile: claims run back to back beside the prune, as delivery
// would.
func BenchmarkPrune(b *testing.B) {
	n := 50_000
	if v, err := strconv.Atoi(os.Getenv("SESAME_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		st, clock := fixtures.Store(b)
		sender := fixtures.Sender(b, st, dnstest.Start(b), "news@bench.test", "Bench")
		for start := 0; start < n; start += 10_000 {
			req := queue.EnqueueRequest{Sender: sender, Transactional: true, Content: queue.MessageContent{Subject: "Hello", Text: "Hello."}}
			for i := start; i < min(start+10_000, n); i++ {
				req.To = append(req.To, queue.Addressee{Email: "user" + strconv.Itoa(i) + "@sink.test"})
			}
			if _, err := st.Queue.Enqueue(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		// Delivered, each with an event, as the engine leaves them.
		if err := st.DB.Gorm.Exec("UPDATE messages SET status = 'delivered'").Error; err != nil {
			b.Fatal(err)
		}
		if err := st.DB.Gorm.Exec("INSERT INTO message_events (message_id, type, at, detail) SELECT id, 'delivered', created_at, '250 ok' FROM messages").Error; err != nil {
			b.Fatal(err)
		}
		clock.Advance(100 * 24 * time.Hour)

		var longest atomic.Int64
		stop := make(chan struct{})
		claimed := make(chan struct{})
		go func() {
			defer close(claimed)
			for {
				select {
				case <-stop:
					return
				default:
				}
				t := time.Now()
				if _, err := st.Queue.ClaimMessages(ctx, "bench", 100, time.Minute); err != nil {
					b.Error(err)
					return
				}
				if d := int64(time.Since(t)); d > longest.Load() {
					longest.Store(d)
				}
				time.Sleep(time.Millisecond)
			}
		}()
		start := time.Now()
		b.StartTimer()
		report, err := st.Retention.Prune(ctx, clock.Now().Add(-90*24*time.Hour), clock.Now())
		b.StopTimer()
		elapsed := time.Since(start)
		close(stop)
		<-claimed
		if err != nil || report.Messages != int64(n) {
			b.Fatalf("removed %d of %d: %v", report.Messages, n, err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(longest.Load())/1e6, "longest-claim-ms")
	}
}
