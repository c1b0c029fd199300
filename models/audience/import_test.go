package audience_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/store"
)

// importCSV uploads body into group g and runs the importer until the job
// ends, returning the finished job and its invalid rows.
func importCSV(t *testing.T, st *store.Store, g *audience.RecipientGroup, body io.Reader) (*audience.ImportJob, []audience.ImportError) {
	t.Helper()
	job, err := st.Audience.CreateImportJob(ctx, g.ID, "people.csv", body, nil)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if err := audience.NewImporter(st.Audience, nil).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	job, err = st.Audience.GetImportJob(ctx, g.ID, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != audience.ImportDone {
		t.Fatalf("import %s: %s", job.Status, job.Error)
	}
	var problems []audience.ImportError
	err = st.Audience.EachImportError(ctx, job.ID, func(e *audience.ImportError) error { problems = append(problems, *e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	return job, problems
}

type counts struct{ rows, imported, updated, unchanged, duplicates, invalid int64 }

func wantCounts(t *testing.T, job *audience.ImportJob, want counts) {
	t.Helper()
	got := counts{job.RowsRead, job.Imported, job.Updated, job.Unchanged, job.Duplicates, job.Invalid}
	if got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
}

func problemList(problems []audience.ImportError) string {
	var b strings.Builder
	for _, p := range problems {
		fmt.Fprintf(&b, "%d %q %s\n", p.Line, p.Email, p.Reason)
	}
	return b.String()
}

func TestImportRefusesBadHeaders(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	for body, want := range map[string]string{
		"":                                 "The file is empty.",
		"\n\n":                             "The file is empty.",
		"name,city\nAnn,Oslo\n":            "The header row has no email column. The first line must name the columns, for example email,first_name.",
		"ann@example.com,Ann\n":            "The first line looks like data, not a header: add a header row such as email,first_name.",
		"email,1st name\n":                 `Column "1st name" cannot be a template variable: use letters, digits, spaces, _, - and . (for example first_name).`,
		"email,name,name\n":                `The header row names column "name" twice (as {{name}}).`,
		"email,First Name,first_name\n":    `The header row names column "first_name" twice (as {{first_name}}).`,
		"email,,city\n":                    "Column 2 of the header row has no name.",
		"email,\"na\"me\n":                 "The header row is not valid CSV: extraneous or missing \" in quoted-field.",
		"Email,EMAIL\n":                    "The header row names the email column twice.",
		"email,n\xe4me\n":                  "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.",
		strings.Repeat("x", 70<<10) + "\n": "The first line is too long to be a header row.",
	} {
		_, err := st.Audience.CreateImportJob(ctx, g.ID, "x.csv", strings.NewReader(body), nil)
		if got := fixtures.FieldErrors(t, err)["file"]; got != want {
			t.Errorf("%.40q: %q, want %q", body, got, want)
		}
	}
	if jobs, _ := st.Audience.ListImportJobs(ctx, g.ID, 10); len(jobs) != 0 {
		t.Errorf("refused files left %d jobs", len(jobs))
	}
}

func TestImportReportsBadRowsAndKeepsGoodOnes(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	body := "\xef\xbb\xbfEmail;first_name;city\r\n" + // BOM, semicolons, CRLF
		"ann@example.com;Ann;Oslo\r\n" +
		"bob@example.com,Bob,Rome\r\n" + // mixed delimiter: one field
		"\"cy@example.com\";\"Cy \"\"the\"\"\nSecond\";Lima\r\n" + // quoted, embedded newline (lines 4-5)
		"dee@example.com;\"broken\"quote;Nice\r\n" + // broken quote
		"eve@example.com;\xe8ve;Paris\r\n" + // Latin-1
		";Nobody;Bern\r\n" +
		"not-an-address;X;Y\r\n" +
		strings.Repeat("a", 260) + "@example.com;Long;Z\r\n" +
		"ANN@example.com;Annie;Oslo\r\n" + // duplicate of line 2, later wins
		"\r\n" + // blank line
		"fay@example.com;;\r\n"
	job, problems := importCSV(t, st, g, strings.NewReader(body))
	wantCounts(t, job, counts{rows: 10, imported: 3, updated: 0, unchanged: 0, duplicates: 1, invalid: 6})
	want := `3 "bob@example.com,Bob,Rome" wrong number of fields
6 "dee@example.com" malformed CSV
7 "eve@example.com" bad encoding
8 "" empty
9 "not-an-address" bad address
10 "` + strings.Repeat("a", 254) + `" too long
11 "ann@example.com" duplicate of line 2: this line's values are kept
`
	if got := problemList(problems); got != want {
		t.Errorf("problems:\n%s\nwant:\n%s", got, want)
	}
	ann, _ := st.Audience.GetRecipient(ctx, g.ID, "ann@example.com")
	if ann.Variables != `{"city":"Oslo","first_name":"Annie"}` {
		t.Errorf("ann %s", ann.Variables)
	}
	cy, _ := st.Audience.GetRecipient(ctx, g.ID, "cy@example.com")
	if cy.Vars()["first_name"] != "Cy \"the\"\nSecond" {
		t.Errorf("cy %s", cy.Variables)
	}
	fay, _ := st.Audience.GetRecipient(ctx, g.ID, "fay@example.com")
	if fay.Variables != "{}" {
		t.Errorf("empty cells should not become variables: %s", fay.Variables)
	}
	g, _ = st.Audience.GetGroup(ctx, g.ID)
	if g.RecipientCount != 3 || strings.Join(g.Variables(), ",") != "first_name,city" || g.Importing {
		t.Errorf("group %+v", g)
	}
}

func TestImportIsIdempotentAndCountsChanges(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	var b strings.Builder
	b.WriteString("email,name,code,plan\n")
	for i := range 2000 {
		if i%10 == 9 {
			fmt.Fprintf(&b, "broken-%d,x,y,z\n", i) // 10% invalid
			continue
		}
		fmt.Fprintf(&b, "user%d@example.com,User %d,C%d,basic\n", i, i, i)
	}
	file := b.String()
	job, problems := importCSV(t, st, g, strings.NewReader(file))
	wantCounts(t, job, counts{rows: 2000, imported: 1800, invalid: 200})
	if len(problems) != 200 || problems[0].Line != 11 || problems[0].Email != "broken-9" || problems[0].Reason != audience.ProblemBadAddress ||
		problems[199].Line != 2001 {
		t.Errorf("problems: %d, first %+v, last %+v", len(problems), problems[0], problems[len(problems)-1])
	}
	// The same file again changes nothing.
	job, _ = importCSV(t, st, g, strings.NewReader(file))
	wantCounts(t, job, counts{rows: 2000, unchanged: 1800, invalid: 200})
	// A changed plan for 100 users and 5 new users.
	changed := strings.Replace(file, "User 5,C5,basic", "User 5,C5,pro", 1) + "new1@example.com,N,1,p\nnew2@example.com,N,2,p\n"
	job, _ = importCSV(t, st, g, strings.NewReader(changed))
	wantCounts(t, job, counts{rows: 2002, imported: 2, updated: 1, unchanged: 1799, invalid: 200})
	g, _ = st.Audience.GetGroup(ctx, g.ID)
	if g.RecipientCount != 1802 {
		t.Errorf("count %d", g.RecipientCount)
	}
}

// repeatReader yields n copies of one byte without holding them.
type repeatReader struct {
	b byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.n)
	for i := range p[:k] {
		p[i] = r.b
	}
	r.n -= k
	return int(k), nil
}

func TestCSVRowReaderStaysSmallOnAHugeField(t *testing.T) {
	for _, quoted := range []bool{false, true} {
		open, end := "", ""
		if quoted {
			open, end = `"`, `"`
		}
		input := io.MultiReader(
			strings.NewReader("email,note\nann@example.com,"+open),
			&repeatReader{b: 'x', n: 50 << 20},
			strings.NewReader(end+"\nbob@example.com,short\n"),
		)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		rr, err := audience.NewCSVRowReader(input)
		if err != nil {
			t.Fatal(err)
		}
		var rows []audience.CSVRow
		for {
			row, err := rr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			row.Fields = append([]string(nil), row.Fields...)
			rows = append(rows, row)
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("quoted=%v: reading a 50 MB field allocated %d MB", quoted, alloc>>20)
		}
		if len(rows) != 2 || rows[0].Line != 2 || rows[0].Problem != audience.ProblemTooLong ||
			rows[1].Line != 3 || rows[1].Problem != audience.ProblemNone || rows[1].Fields[0] != "bob@example.com" {
			t.Errorf("quoted=%v: rows %+v", quoted, rows)
		}
	}
}

func TestImportOfAHugeFieldKeepsTheOtherRows(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	input := io.MultiReader(
		strings.NewReader("email,note\nann@example.com,a\nbob@example.com,\""),
		&repeatReader{b: 'y', n: 50 << 20},
		strings.NewReader("\ny\"\ncy@example.com,c\n"),
	)
	job, problems := importCSV(t, st, g, input)
	wantCounts(t, job, counts{rows: 3, imported: 2, invalid: 1})
	if got := problemList(problems); got != "3 \"\" too long\n" {
		t.Errorf("problems %s", got)
	}
	if _, err := st.Audience.GetRecipient(ctx, g.ID, "cy@example.com"); err != nil {
		t.Errorf("the row after the huge field is lost: %v", err)
	}
}

func TestImportRefusesFilesOver200MB(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	body := io.MultiReader(strings.NewReader("email\n"), &repeatReader{b: '\n', n: audience.MaxImportBytes})
	_, err := st.Audience.CreateImportJob(ctx, g.ID, "big.csv", body, nil)
	if got := fixtures.FieldErrors(t, err)["file"]; !strings.Contains(got, "larger than 200 MB") {
		t.Errorf("got %q", got)
	}
}

func TestImportOfADeletedGroupStops(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	if _, err := st.Audience.CreateImportJob(ctx, g.ID, "a.csv", bytes.NewBufferString("email\na@example.com\n"), nil); err != nil {
		t.Fatal(err)
	}
	if err := st.Audience.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := audience.NewImporter(st.Audience, nil).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Audience.ListImportJobs(ctx, g.ID, 10); len(n) != 0 {
		t.Errorf("jobs outlived their group")
	}
}

// A job left running by a process that died is run again, from the start,
// when the importer next starts; the re-run counts as a fresh import.
func TestImporterResumesInterruptedJobs(t *testing.T) {
	st, _ := fixtures.Store(t)
	g := fixtures.Group(t, st, "G", 0)
	job, err := st.Audience.CreateImportJob(ctx, g.ID, "a.csv", strings.NewReader("email\na@example.com\nb@example.com\nbad\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if claimed, err := audience.NewImporter(st.Audience, nil).ClaimWithoutRunning(ctx); err != nil || claimed.ID != job.ID {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- audience.NewImporter(st.Audience, nil).Run(runCtx) }()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if job, _ = st.Audience.GetImportJob(ctx, g.ID, job.ID); job.Finished() {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantCounts(t, job, counts{rows: 3, imported: 2, invalid: 1})
}
