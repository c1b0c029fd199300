package main

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/queue"
)

// BenchmarkOpenPixel loads the open-tracking pixel of a real message with
// wrk (2 threads, 64 connections, 10 seconds) on loopback against a whole
// running Sesame, then checks that every open was persisted. It reports
// requests/s, the CPU time Sesame spent per request from the start of the
// load until the last open was stored, and wrk's CPU time per request (on
// a two-core machine the two share the cores).
func BenchmarkOpenPixel(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Fatal("wrk not found: install Debian's wrk package (scripts/bench.sh does so as root)")
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a := startApp(b)
		sender := fixtures.Sender(b, a.store, a.DNS, "news@bench.test", "Bench")
		msgs, err := a.store.Queue.Enqueue(context.Background(), queue.EnqueueRequest{Sender: sender, Transactional: true,
			Content: queue.MessageContent{Subject: "Hi", HTML: "<p>Hi</p>", TrackOpens: true}, To: []queue.Addressee{{Email: "ann@dest.test"}}})
		if err != nil {
			b.Fatal(err)
		}
		url := a.links.OpenURL(msgs[0].UID)
		url = a.URL + url[strings.Index(url, "/t/o/"):]
		b.StartTimer()
		cpuBefore, wrkBefore := benchmeter.ProcessCPU(), childrenCPU()
		out, err := exec.Command(wrk, "-t2", "-c64", "-d10s", "-H", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0", url).CombinedOutput()
		b.StopTimer()
		wrkCPU := childrenCPU() - wrkBefore
		if err != nil {
			b.Fatalf("wrk: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`(\d+) requests in`).FindSubmatch(out)
		rps := regexp.MustCompile(`Requests/sec:\s+([\d.]+)`).FindSubmatch(out)
		if m == nil || rps == nil || strings.Contains(string(out), "Non-2xx") {
			b.Fatalf("wrk output:\n%s", out)
		}
		requests, _ := strconv.Atoi(string(m[1]))
		// Every open is persisted within the flush interval.
		deadline := time.Now().Add(30 * time.Second)
		var stored int64
		for time.Now().Before(deadline) {
			if stored, _ = a.store.Queue.CountMessageEvents(context.Background(), msgs[0].ID); stored >= int64(requests) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if stored < int64(requests) {
			b.Fatalf("%d opens answered, %d stored", requests, stored)
		}
		cpu := benchmeter.ProcessCPU() - cpuBefore
		rate, _ := strconv.ParseFloat(string(rps[1]), 64)
		b.ReportMetric(rate, "requests/s")
		b.ReportMetric(float64(stored), "opens-stored")
		b.ReportMetric(float64(cpu.Microseconds())/float64(requests), "cpu-µs/req")
		b.ReportMetric(float64(wrkCPU.Microseconds())/float64(requests), "wrk-cpu-µs/req")
	}
}

// childrenCPU is the user and system CPU time of this process's children
// that have exited and been waited for.
func childrenCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
