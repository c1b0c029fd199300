package audience_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/benchmeter"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
)

// BenchmarkImportMillion imports a 1,000,000-row CSV file (email and three
// variables) into an empty group, then again (nothing changes), and times
// the first page and a prefix search of the million-recipient group. It
// reports rows/s, the process's peak resident memory during the import
// (VmHWM, reset just before), CPU seconds per 1,000 rows of the process and,
// on PostgreSQL, of the server (steadier than rates on a busy machine), and
// page and search times in ms.
// Run with `make bench`, or:
//
//	go test -run '^$' -bench ImportMillion -benchtime 1x ./models
//	./scripts/with-postgres.sh go test -run '^$' -bench ImportMillion -benchtime 1x ./models
func BenchmarkImportMillion(b *testing.B) {
	rows := 1_000_000
	if n, err := strconv.Atoi(os.Getenv("SESAME_BENCH_ROWS")); err == nil && n > 0 {
		rows = n // for a quick look while tuning
	}
	path := filepath.Join(b.TempDir(), "million.csv")
	if err := writeMillionCSV(path, rows); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	st := testdb.Open(b, models.SystemClock{})
	importer := audience.NewImporter(st.Audience, nil)
	serverCPU := testdb.ServerCPU(b)

	for i := 0; b.Loop(); i++ {
		g, err := st.Audience.CreateGroup(ctx, audience.GroupInput{Name: "million " + strconv.Itoa(i)})
		if err != nil {
			b.Fatal(err)
		}
		for _, pass := range []string{"first", "again"} {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			benchmeter.ResetPeakRSS()
			var serverBefore time.Duration
			if serverCPU != nil {
				serverBefore = serverCPU()
			}
			cpuBefore := benchmeter.ProcessCPU()
			start := time.Now()
			job, err := st.Audience.CreateImportJob(ctx, g.ID, "million.csv", f, nil)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if err := importer.Drain(ctx); err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.ReportMetric((benchmeter.ProcessCPU()-cpuBefore).Seconds()/float64(rows)*1000, pass+"-cpu-s/1k-rows")
			if serverCPU != nil {
				b.ReportMetric((serverCPU()-serverBefore).Seconds()/float64(rows)*1000, pass+"-db-cpu-s/1k-rows")
			}
			job, _ = st.Audience.GetImportJob(ctx, g.ID, job.ID)
			if job.Status != audience.ImportDone || job.Imported+job.Unchanged != int64(rows) {
				b.Fatalf("import %s: %+v", job.Status, job)
			}
			b.ReportMetric(float64(rows)/elapsed.Seconds(), pass+"-rows/s")
			b.ReportMetric(benchmeter.PeakRSSMB(), pass+"-peak-MB")
			b.Logf("%s %s pass: %d rows (%d MB file) in %s = %.0f rows/s, peak RSS %d MB",
				testdb.Name(), pass, rows, info.Size()>>20, elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds(), int(benchmeter.PeakRSSMB()))
		}

		start := time.Now()
		page, err := st.Audience.ListRecipients(ctx, g.ID, audience.RecipientQuery{Limit: 50})
		first := time.Since(start)
		if err != nil || len(page.Recipients) != 50 {
			b.Fatalf("first page: %v", err)
		}
		start = time.Now()
		next, err := st.Audience.ListRecipients(ctx, g.ID, audience.RecipientQuery{After: page.Next, Limit: 50})
		second := time.Since(start)
		if err != nil || len(next.Recipients) != 50 {
			b.Fatalf("next page: %v", err)
		}
		start = time.Now()
		found, err := st.Audience.ListRecipients(ctx, g.ID, audience.RecipientQuery{Prefix: "u7a", Limit: 50})
		search := time.Since(start)
		if err != nil || len(found.Recipients) == 0 {
			b.Fatalf("search: %v", err)
		}
		b.ReportMetric(ms(first), "first-page-ms")
		b.ReportMetric(ms(second), "next-page-ms")
		b.ReportMetric(ms(search), "search-ms")
		b.Logf("%s: first page %s, next page %s, prefix search %s", testdb.Name(), first, second, search)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// writeMillionCSV writes n rows with addresses in no particular order, as
// a real export would have them.
func writeMillionCSV(path string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "email,first_name,city,plan")
	cities := []string{"Oslo", "Lima", "Kyoto", "Porto", "Accra", "Quito"}
	for i := range n {
		h := uint32(i) * 2654435761 // spread the addresses over the key space
		fmt.Fprintf(w, "u%08x.%d@mail%d.example.com,Person %d,%s,%s\n", h, i, i%97, i, cities[i%len(cities)], []string{"free", "pro"}[i%2])
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
