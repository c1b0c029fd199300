package main

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
	ses "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/ses/v20201002"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// BenchmarkAPISendEmail sends SendEmail requests through the official SDK
// from 16 concurrent clients, one recipient each, for 10 seconds against a
// whole Sesame delivering meanwhile (signed with RSA-2048, through a relay
// to a discarding sink in a child process), then checks that every
// accepted request's message is in the queue. It reports accepted
// requests/s, the latency of a request as a client sees it (p50, p99), the
// messages delivered meanwhile, and the process's CPU time per request
// (server, delivery and SDK clients together), which says what the machine
// can do when other work shares its cores. On PostgreSQL it reports the
// database server's CPU time per request too, which the process's own does
// not include.
func BenchmarkAPISendEmail(b *testing.B) {
	const clients = 16
	duration := 10 * time.Second
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		sink := smtpsink.StartProcess(b)
		a := launchApp(b, models.SystemClock{}, true, func(c *Config) { c.Delivery = "relay://" + sink.Addr + "?tls=none" })
		ctx := context.Background()
		fixtures.Sender(b, a.store, a.DNS, "news@bench.test", "Bench")
		tpl := fixtures.Template(b, a.store, "bench")
		u, err := a.store.Accounts.CreateUser(ctx, accounts.NewUser{Email: "bench@example.com", Password: "bench password 1", Role: accounts.RoleMarketer})
		if err != nil {
			b.Fatal(err)
		}
		key, secret, err := a.store.Accounts.CreateAPIKey(ctx, u.ID, "bench")
		if err != nil {
			b.Fatal(err)
		}
		endpoint, _ := url.Parse(a.URL)
		var accepted, failed atomic.Int64
		latencies := make([][]time.Duration, clients)
		var firstErr atomic.Value
		var wg sync.WaitGroup
		deadline := time.Now().Add(duration)
		serverCPU := testdb.ServerCPU(b)
		var serverBefore time.Duration
		if serverCPU != nil {
			serverBefore = serverCPU()
		}
		b.StartTimer()
		start, cpuBefore := time.Now(), benchmeter.ProcessCPU()
		for c := 0; c < clients; c++ {
			prof := profile.NewClientProfile()
			prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = endpoint.Host, "http"
			client, err := ses.NewClient(common.NewCredential(key.SecretID, secret), "ap-guangzhou", prof)
			if err != nil {
				b.Fatal(err)
			}
			wg.Go(func() {
				for n := 0; time.Now().Before(deadline); n++ {
					req := ses.NewSendEmailRequest()
					req.FromEmailAddress = common.StringPtr("news@bench.test")
					req.Destination = common.StringPtrs([]string{"c" + strconv.Itoa(c) + "-" + strconv.Itoa(n) + "@dest.test"})
					req.Subject = common.StringPtr("Hello {{name}}")
					req.Template = &ses.Template{TemplateID: common.Uint64Ptr(tpl.ID), TemplateData: common.StringPtr(`{"name":"Ann"}`)}
					req.TriggerType = common.Uint64Ptr(1)
					sent := time.Now()
					_, err := client.SendEmail(req)
					latencies[c] = append(latencies[c], time.Since(sent))
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
						continue
					}
					accepted.Add(1)
				}
			})
		}
		wg.Wait()
		elapsed, cpu := time.Since(start), benchmeter.ProcessCPU()-cpuBefore
		b.StopTimer()
		if err := firstErr.Load(); err != nil {
			b.Fatalf("%d requests failed; the first: %v", failed.Load(), err)
		}
		counts, err := a.store.Queue.CountMessagesByStatus(ctx)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, n := range counts {
			total += n
		}
		if int64(total) != accepted.Load() {
			b.Fatalf("%d requests accepted, %d messages in the queue", accepted.Load(), total)
		}
		all := slices.Concat(latencies...)
		slices.Sort(all)
		b.ReportMetric(float64(accepted.Load())/elapsed.Seconds(), "requests/s")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(counts[models.StatusDelivered]), "delivered")
		b.ReportMetric(float64(accepted.Load()), "accepted")
		b.ReportMetric(cpu.Seconds()*1000/float64(max(accepted.Load(), 1)), "cpu-ms/req")
		if serverCPU != nil {
			b.ReportMetric((serverCPU()-serverBefore).Seconds()*1000/float64(max(accepted.Load(), 1)), "db-cpu-ms/req")
		}
	}
}
