package tracking_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
)

// BenchmarkRecordEngagement writes one tracker flush at the pixel's target
// rate: 30,000 opens (one second of them) over 1,000 messages, so the cost
// of a flush can be tuned apart from HTTP. It reports events/s and the CPU
// time per event (the machine is shared: CPU time moves less with the load
// than the rate does).
//
//	go test -run '^$' -bench RecordEngagement ./models
func BenchmarkRecordEngagement(b *testing.B) {
	const events, messages = 30_000, 1_000
	st := testdb.Open(b, models.SystemClock{})
	sender := fixtures.Sender(b, st, dnstest.Start(b), "news@example.test", "News")
	req := queue.EnqueueRequest{Sender: sender, Transactional: true,
		Content: queue.MessageContent{Subject: "Hi", HTML: "<p>Hi</p>", TrackOpens: true}}
	for i := range messages {
		req.To = append(req.To, queue.Addressee{Email: "u" + strconv.Itoa(i) + "@dest.test"})
	}
	msgs, err := st.Queue.Enqueue(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	batch := make([]tracking.Engagement, events)
	for i := range batch {
		batch[i] = tracking.Engagement{UID: msgs[i%messages].UID, Kind: tracking.EngagementOpen, At: time.Now(),
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", ClientIP: "192.0.2." + strconv.Itoa(i%250)}
	}
	cpuBefore := benchmeter.ProcessCPU()
	for b.Loop() {
		if err := st.Tracking.RecordEngagement(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64((benchmeter.ProcessCPU()-cpuBefore).Microseconds())/float64(events*b.N), "cpu-µs/event")
}
