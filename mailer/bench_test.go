package mailer_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/gcpolicy"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/rsasign"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// benchDomains signs with the chosen keys only (none, the RSA-2048 key, the
// Ed25519 key, or both), RSA by the chosen signer, and counts the CPU time
// of every signature. The meter hides the RSA key's type from the engine,
// so the RSA key is loaded into libcrypto here, by the call the engine
// makes, once per key cache refresh instead of once per key.
type benchDomains struct {
	*identity.Domains
	algs    []string
	signer  outgoing.RSASigner
	signing *atomic.Int64 // nanoseconds
}

func (s benchDomains) SigningKeys(ctx context.Context, domainID uint64) ([]identity.SigningKey, error) {
	keys, err := s.Domains.SigningKeys(ctx, domainID)
	var out []identity.SigningKey
	for _, k := range keys {
		if !slices.Contains(s.algs, string(k.Algorithm)) {
			continue
		}
		if priv, ok := k.Signer.(*rsa.PrivateKey); ok && s.signer == outgoing.SignerOpenSSL {
			if k.Signer, err = rsasign.Load(priv); err != nil {
				return nil, err
			}
		}
		k.Signer = meteredSigner{k.Signer, s.signing}
		out = append(out, k)
	}
	return out, err
}

// meteredSigner adds the CPU time of its signatures to cpu: the time of
// the thread that makes each, which a cgo call does not leave and to which
// the goroutine is locked meanwhile.
type meteredSigner struct {
	crypto.Signer
	cpu *atomic.Int64
}

func (s meteredSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := benchmeter.ThreadCPU()
	sig, err := s.Signer.Sign(r, digest, opts)
	s.cpu.Add(int64(benchmeter.ThreadCPU() - start))
	return sig, err
}

// BenchmarkDelivery100k: 100,000 personalised messages (about 10 KB of HTML,
// 5 variables) from the queue to a loopback SMTP sink that discards, every
// status recorded, unsigned (the domain's relay signs), signed with RSA-2048 by each signer, with
// RSA-2048 and Ed25519 (dual signing), and with Ed25519. Reports
// messages/s, CPU seconds per 1,000 messages (all, signing, the rest) and
// the process's peak RSS; the sink runs in a child process, so these are
// Sesame's alone, and its own CPU time, which it takes from the same
// cores, is reported apart.
func BenchmarkDelivery100k(b *testing.B) {
	defer gcpolicy.Apply()() // the collector as sesame serve sets it
	for _, c := range []struct {
		dkim   string
		signer outgoing.RSASigner
	}{{"none", ""}, {"rsa", outgoing.SignerGo}, {"rsa", outgoing.SignerOpenSSL}, {"rsa+ed25519", outgoing.SignerOpenSSL}, {"ed25519", ""}} {
		name := "dkim=" + c.dkim
		if c.signer != "" {
			name += "/signer=" + string(c.signer)
		}
		b.Run(name, func(b *testing.B) {
			if err := rsasign.Available(); c.signer == outgoing.SignerOpenSSL && err != nil {
				b.Skip(err)
			}
			for i := 0; i < b.N; i++ {
				benchDelivery(b, strings.Split(c.dkim, "+"), c.signer, benchMessages())
			}
		})
	}
}

func benchDelivery(b *testing.B, algs []string, signer outgoing.RSASigner, n int) {
	b.StopTimer()
	sink := smtpsink.StartProcess(b)
	cfg := testdb.Config(b)
	cfg.Clock, cfg.Identity.Relay = models.SystemClock{}, sink.Addr // delivery goes through a relay, as SESAME_DELIVERY=relay:// says
	st := testdb.OpenConfig(b, cfg)
	dns := dnstest.Start(b)
	d, err := st.Domains.AddDomain(ctx, "bench.test", 2048)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Domains.AddDKIMKey(ctx, d.ID, identity.DKIMEd25519); err != nil {
		b.Fatal(err)
	}
	recs, _ := st.Domains.DomainRecords(ctx, d)
	dns.Publish(b, recs)
	dns.Set(b, testdb.BounceHost+". 300 IN A 127.0.0.1")
	res, _ := mailer.NewResolver(dns.Addr, time.Second)
	if _, _, err := st.Domains.VerifyDomain(ctx, res, d.ID); err != nil {
		b.Fatal(err)
	}
	if slices.Equal(algs, []string{"none"}) { // the unsigned lane: the relay signs
		if _, err := st.Domains.SetRelaySigns(ctx, d.ID, true); err != nil {
			b.Fatal(err)
		}
	}
	sender := fixtures.Sender(b, st, dns, "news@bench.test", "Bench")

	html := "<html><body><h1>Hello {{first}} {{last}}</h1>" + strings.Repeat("<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. {{city}}</p>", 4) +
		strings.Repeat("<p>Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.</p>", 70) +
		"<p>Your code: {{code}}. Plan: {{plan}}.</p></body></html>"
	for start := 0; start < n; start += 10_000 {
		req := queue.EnqueueRequest{Sender: sender, Transactional: true,
			Content: queue.MessageContent{Subject: "Hello {{first}}, news for {{city}}", HTML: html}}
		for i := start; i < min(start+10_000, n); i++ {
			req.To = append(req.To, queue.Addressee{Email: "user" + strconv.Itoa(i) + "@sink.test", Variables: map[string]string{
				"first": "Ann" + strconv.Itoa(i), "last": "Lee", "city": "Lisbon", "code": strconv.Itoa(100000 + i), "plan": "gold"}})
		}
		if _, err := st.Queue.Enqueue(ctx, req); err != nil {
			b.Fatal(err)
		}
	}

	links := outgoing.NewLinks("https://sesame.example", []byte("link key"))
	var signing atomic.Int64
	stores := compose.Engine(st)
	stores.Domains = benchDomains{st.Domains, algs, signer, &signing}
	engine := mailer.NewEngine(stores, &mailer.Relay{Addr: sink.Addr, TLS: "none"}, outgoing.NewBuilder(links), models.SystemClock{}, discard(),
		mailer.EngineConfig{Owner: "bench", BounceHost: testdb.BounceHost, Signer: signer})
	serverCPU := testdb.ServerCPU(b)
	var serverBefore time.Duration
	if serverCPU != nil {
		serverBefore = serverCPU()
	}
	benchmeter.ResetPeakRSS() // the peak of this delivery, not of the set-up or an earlier variant
	cpuBefore, sinkBefore := benchmeter.ProcessCPU(), sink.CPU()
	start := time.Now()
	b.StartTimer()
	if err := engine.RunUntilIdle(ctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	cpu, sinkCPU := benchmeter.ProcessCPU()-cpuBefore, sink.CPU()-sinkBefore
	if got, err := sink.Accepted(); got != int64(n) {
		c, _ := st.Queue.CountMessagesByStatus(ctx)
		b.Fatalf("sink accepted %d of %d (%v); statuses %v", got, n, err, c)
	}
	c, _ := st.Queue.CountMessagesByStatus(ctx)
	if c[models.StatusDelivered] != n {
		b.Fatalf("statuses %v", c)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(cpu.Seconds()/float64(n)*1000, "cpu-s/1k-msgs")
	sign := time.Duration(signing.Load())
	b.ReportMetric(sign.Seconds()/float64(n)*1000, "sign-cpu-s/1k-msgs")
	b.ReportMetric((cpu-sign).Seconds()/float64(n)*1000, "other-cpu-s/1k-msgs")
	b.ReportMetric(sinkCPU.Seconds()/float64(n)*1000, "sink-cpu-s/1k-msgs")
	if serverCPU != nil {
		b.ReportMetric((serverCPU()-serverBefore).Seconds()/float64(n)*1000, "db-cpu-s/1k-msgs")
	}
	b.ReportMetric(benchmeter.PeakRSSMB(), "peak-RSS-MB")
}

// benchMessages is 100,000, or SESAME_BENCH_MESSAGES for quicker profiling.
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("SESAME_BENCH_MESSAGES")); err == nil && n > 0 {
		return n
	}
	return 100_000
}
