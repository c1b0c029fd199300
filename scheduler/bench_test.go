package scheduler_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/tasks"
)

// BenchmarkMaterialise1M fires and queues one run for a group of 1,000,000
// recipients (SESAME_BENCH_RECIPIENTS to change), each with 3 variables, as
// the scheduler does, and reports messages/s, the process's peak RSS and CPU
// seconds per 1,000 messages: the process's (with SQLite, the database's
// too) and on PostgreSQL the server's, the steadier figures on a busy
// machine.
func BenchmarkMaterialise1M(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("SESAME_BENCH_RECIPIENTS")); err == nil && v > 0 {
		n = v
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newTaskFixtureWith(b, testdb.Config(b), clocktest.New(time.Now()), 0)
		g, err := f.st.Audience.CreateGroup(ctx, audience.GroupInput{Name: "Million"})
		if err != nil {
			b.Fatal(err)
		}
		for start := 0; start < n; start += 5000 {
			rows := make([]audience.RecipientInput, 0, 5000)
			for j := start; j < min(start+5000, n); j++ {
				rows = append(rows, audience.RecipientInput{Email: "user" + strconv.Itoa(j) + "@dest.test",
					Variables: map[string]string{"name": "User " + strconv.Itoa(j), "city": "Lisbon", "plan": "gold"}})
			}
			if _, err := f.st.Audience.AddRecipients(ctx, g.ID, rows); err != nil {
				b.Fatal(err)
			}
		}
		task, err := f.st.Tasks.CreateTask(ctx, tasks.TaskInput{Name: "Big", SenderID: f.base.SenderID, TemplateID: f.base.TemplateID,
			GroupID: g.ID, Kind: tasks.TaskBatch, TimeZone: "UTC"}, time.Time{})
		if err != nil {
			b.Fatal(err)
		}
		serverCPU := testdb.ServerCPU(b)
		var serverBefore time.Duration
		if serverCPU != nil {
			serverBefore = serverCPU()
		}
		cpuBefore := benchmeter.ProcessCPU()
		start := time.Now()
		b.StartTimer()
		if err := f.runner.FireAndQueue(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		elapsed := time.Since(start)
		cpu := benchmeter.ProcessCPU() - cpuBefore
		if serverCPU != nil {
			b.ReportMetric((serverCPU()-serverBefore).Seconds()/float64(n)*1000, "db-cpu-s/1k-msgs")
		}
		counts, _ := f.st.Tasks.CountRun(ctx, f.runs(task)[0].ID)
		if counts.Total() != int64(n) {
			b.Fatalf("%d messages for %d recipients", counts.Total(), n)
		}
		b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(cpu.Seconds()/float64(n)*1000, "cpu-s/1k-msgs")
		b.ReportMetric(benchmeter.PeakRSSMB(), "peak-RSS-MB")
	}
}
