package retention_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
)

// BenchmarkPrune: the rate at which a day of delivered messages (with
// an event each) is removed, and the longest a claim waited meanwhile:
// claims run back to back beside the prune, as delivery would. On
// PostgreSQL the day holds a million messages and goes by dropping its
// partitions; on SQLite 50,000, deleted in batches.
func BenchmarkPrune(b *testing.B) {
	n := 50_000
	if testdb.Name() == "postgres" {
		n = 1_000_000
	}
	if v, err := strconv.Atoi(os.Getenv("SESAME_BENCH_MESSAGES")); err == nil && v > 0 {
		n = v
	}
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		st, clock := fixtures.Store(b)
		sender := fixtures.Sender(b, st, dnstest.Start(b), "news@bench.test", "Bench")
		queued := min(n, 50_000)
		for start := 0; start < queued; start += 10_000 {
			req := queue.EnqueueRequest{Sender: sender, Transactional: true, Content: queue.MessageContent{Subject: "Hello", Text: "Hello."}}
			for i := start; i < min(start+10_000, queued); i++ {
				req.To = append(req.To, queue.Addressee{Email: "user" + strconv.Itoa(i) + "@sink.test"})
			}
			if _, err := st.Queue.Enqueue(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		if n > queued { // copies of the queued ones, made by the database
			copyMessages(b, st, n/queued-1)
		}
		// Delivered, each with an event, as the engine leaves them.
		if err := st.DB.Gorm.Exec("UPDATE messages SET status = 'delivered'").Error; err != nil {
			b.Fatal(err)
		}
		if err := st.DB.Gorm.Exec("INSERT INTO message_events (message_id, type, at, detail) SELECT id, 'delivered', created_at, '250 ok' FROM messages").Error; err != nil {
			b.Fatal(err)
		}
		if testdb.Name() == "postgres" {
			// As autovacuum leaves a day long before it is past retention.
			if err := st.DB.Gorm.Exec("VACUUM ANALYZE messages, message_events").Error; err != nil {
				b.Fatal(err)
			}
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
		var left int64
		st.DB.Gorm.Raw("SELECT COUNT(*) FROM messages").Scan(&left)
		if err != nil || left != 0 || (!report.Estimated && report.Messages != int64(n)) {
			b.Fatalf("removed %d of %d, %d left: %v", report.Messages, n, left, err)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(float64(elapsed.Milliseconds()), "prune-ms")
		b.ReportMetric(float64(longest.Load())/1e6, "longest-claim-ms")
	}
}

// copyMessages adds times copies of every message, with uids of their own,
// in one statement.
func copyMessages(b *testing.B, st *store.Store, times int) {
	var cols []string
	if err := st.DB.Gorm.Raw("SELECT column_name FROM information_schema.columns WHERE table_name = 'messages' AND table_schema = current_schema() AND column_name NOT IN ('id', 'uid') ORDER BY ordinal_position").
		Scan(&cols).Error; err != nil {
		b.Fatal(err)
	}
	list := strings.Join(cols, ", ")
	if err := st.DB.Gorm.Exec("INSERT INTO messages (uid, "+list+") SELECT uid || '-' || g, "+list+" FROM messages, generate_series(1, ?) g", times).Error; err != nil {
		b.Fatal(err)
	}
}
