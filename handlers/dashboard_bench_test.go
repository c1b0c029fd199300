package handlers_test

import (
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/seed"
)

// BenchmarkDashboard30Days10MEvents seeds 10,000,000 message events
// (SESAME_BENCH_EVENTS to change) over 30 days with their messages and
// rollups, then asks for the dashboard of the last 30 days, whole and
// filtered by a task, 21 times each over loopback. It reports the median
// and slowest of the last 20 (the first warms the caches) in milliseconds,
// with the seeding's figures in the log. The target is at most 50 ms.
func BenchmarkDashboard30Days10MEvents(b *testing.B) {
	events := 10_000_000
	if v, err := strconv.Atoi(os.Getenv("SESAME_BENCH_EVENTS")); err == nil && v > 0 {
		events = v
	}
	for range b.N {
		b.StopTimer()
		c := newConsole(b)
		start := time.Now()
		seeded, err := c.Store.Seeder.SeedEvents(ctx, seed.SeedOptions{Events: events, Days: 30})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d messages, %d events and %d rollup rows in %s", seeded.Messages, seeded.Events, seeded.StatsRows, time.Since(start).Round(time.Second))
		c.user("bench@example.com", accounts.RoleAdmin)
		br := c.browser()
		br.login("bench@example.com")
		for _, q := range []struct{ name, path string }{
			{"dashboard", "/?days=30"},
			{"dashboard-task", "/?days=30&task=" + itoa(seeded.Tasks[0])},
			{"task-report", "/tasks/" + itoa(seeded.Tasks[0]) + "/report"},
		} {
			var took []time.Duration
			for i := range 21 {
				b.StartTimer()
				begin := time.Now()
				p := br.get(q.path)
				elapsed := time.Since(begin)
				b.StopTimer()
				if p.Status != http.StatusOK || !strings.Contains(p.Body, "chart-") {
					b.Fatalf("%s: %d\n%s", q.path, p.Status, mainContent(p.Body))
				}
				if i > 0 {
					took = append(took, elapsed)
				}
			}
			slices.Sort(took)
			ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
			b.ReportMetric(ms(took[len(took)/2]), "ms/"+q.name)
			b.ReportMetric(ms(took[len(took)-1]), "ms-max/"+q.name)
		}
	}
}
