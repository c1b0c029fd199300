package webhook_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/webhook"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
	"github.com/sesame-email/sesame/models/webhooks"
)

func TestMain(m *testing.M) {
	smtpsink.ServeIfChild() // the benchmark's sink runs in a child process
	os.Exit(m.Run())
}

// benchMessages is 20,000, or SESAME_BENCH_MESSAGES.
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("SESAME_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// benchSetup is a store with n queued messages, an engine delivering to a
// loopback SMTP sink in a child process, and a receiver counting posts.
type benchSetup struct {
	st       *store.Store
	engine   *mailer.Engine
	receiver *httptest.Server
	posted   *atomic.Int64
}

func newBench(b *testing.B, n int) *benchSetup {
	ctx := context.Background()
	st := testdb.Open(b, models.SystemClock{})
	sender := fixtures.Sender(b, st, dnstest.Start(b), "news@bench.test", "Bench")
	sink := smtpsink.StartProcess(b)
	for start := 0; start < n; start += 10_000 {
		req := queue.EnqueueRequest{Sender: sender, Transactional: true,
			Content: queue.MessageContent{Subject: "Hello {{first}}", Text: "Hello {{first}}, your code is {{code}}."}}
		for i := start; i < min(start+10_000, n); i++ {
			req.To = append(req.To, queue.Addressee{Email: "user" + strconv.Itoa(i) + "@sink.test",
				Variables: map[string]string{"first": "Ann" + strconv.Itoa(i), "code": strconv.Itoa(100000 + i)}})
		}
		if _, err := st.Queue.Enqueue(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
	links := outgoing.NewLinks("https://sesame.example", []byte("link key"))
	engine := mailer.NewEngine(compose.Engine(st), &mailer.Relay{Addr: sink.Addr, TLS: "none"}, outgoing.NewBuilder(links),
		models.SystemClock{}, slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "bench", BounceHost: testdb.BounceHost})
	var posted atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posted.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(receiver.Close)
	return &benchSetup{st: st, engine: engine, receiver: receiver, posted: &posted}
}

// poster is a poster as `sesame serve` has it, giving way to the engine
// while it delivers.
func (s *benchSetup) poster() *webhook.Poster {
	cfg := webhook.DefaultConfig
	cfg.Owner, cfg.Allow, cfg.Interval, cfg.Delivering = "bench", loopback, 50*time.Millisecond, s.engine.Busy
	return webhook.NewPoster(s.st.Webhooks, s.st.Queue, models.SystemClock{}, slog.New(slog.DiscardHandler), cfg)
}

// BenchmarkWebhookDelivery: delivery throughput of messages from the queue
// to an SMTP sink with no webhook endpoint, and with one subscribed to
// every event while the poster posts beside delivery (the issue asks for
// at least 90% of the first). Reports msgs/s, and for the second how many
// events were posted by the time delivery ended (the poster keeps to
// DeliveringRate meanwhile) and how long the rest took.
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, hooks := range []bool{false, true} {
		name := "endpoint=none"
		if hooks {
			name = "endpoint=all-events"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				benchWebhookDelivery(b, hooks, benchMessages())
			}
		})
	}
}

func benchWebhookDelivery(b *testing.B, hooks bool, n int) {
	b.StopTimer()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := newBench(b, n)
	done := make(chan struct{})
	if hooks {
		if _, _, err := s.st.Webhooks.CreateEndpoint(ctx, webhooks.EndpointInput{URL: s.receiver.URL}); err != nil {
			b.Fatal(err)
		}
		go func() {
			defer close(done)
			_ = s.poster().Run(ctx)
		}()
	} else {
		close(done)
	}
	start := time.Now()
	b.StartTimer()
	if err := s.engine.RunUntilIdle(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	if !hooks {
		return
	}
	b.ReportMetric(float64(s.posted.Load()), "posted-when-delivered")
	for s.posted.Load() < int64(n) {
		if time.Since(start) > 10*time.Minute {
			b.Fatalf("posted %d of %d events", s.posted.Load(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.ReportMetric(time.Since(start).Seconds()-elapsed.Seconds(), "s-to-post-the-rest")
	cancel()
	<-done
}

// BenchmarkWebhookPosting: the rate at which one endpoint's backlog of
// delivered events is posted to a local receiver.
func BenchmarkWebhookPosting(b *testing.B) {
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		n := benchMessages()
		s := newBench(b, n)
		// The endpoint is older than the events: they are its backlog.
		if _, _, err := s.st.Webhooks.CreateEndpoint(ctx, webhooks.EndpointInput{URL: s.receiver.URL, Events: "delivered"}); err != nil {
			b.Fatal(err)
		}
		if err := s.engine.RunUntilIdle(ctx); err != nil {
			b.Fatal(err)
		}
		p := s.poster()
		start := time.Now()
		b.StartTimer()
		for busy := true; busy; {
			var err error
			if _, busy, err = p.Round(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := s.posted.Load(); got != int64(n) {
			b.Fatalf("posted %d of %d", got, n)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
	}
}
