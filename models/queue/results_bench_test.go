package queue_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
)

// BenchmarkRecordResults records delivered outcomes in the engine's batches
// of 500 (one op is one batch), so the statement shapes RecordResults uses
// on each database can be compared on their own; claiming is not timed.
func BenchmarkRecordResults(b *testing.B) {
	const batch = 500
	st := testdb.Open(b, models.SystemClock{})
	sender := fixtures.Sender(b, st, dnstest.Start(b), "news@example.test", "News")
	queued := 0
	for b.Loop() {
		b.StopTimer()
		msgs, err := st.Queue.ClaimMessages(ctx, "bench", batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(msgs) < batch {
			req := rawRequest(sender, queued)
			req.Transactional = true
			for i := range 10 * batch {
				req.To = append(req.To, queue.Addressee{Email: "u" + strconv.Itoa(queued+i) + "@dest.test"})
			}
			queued += len(req.To)
			if _, err := st.Queue.Enqueue(ctx, req); err != nil {
				b.Fatal(err)
			}
			more, err := st.Queue.ClaimMessages(ctx, "bench", batch-len(msgs), time.Minute)
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, more...)
		}
		results := make([]queue.DeliveryResult, len(msgs))
		for i := range msgs {
			results[i] = queue.DeliveryResult{Message: &msgs[i], Status: models.StatusDelivered, Reply: "250 2.0.0 Ok: queued as 4F2A1C0B9E"}
		}
		b.StartTimer()
		if err := st.Queue.RecordResults(ctx, "bench", results); err != nil {
			b.Fatal(err)
		}
	}
}
