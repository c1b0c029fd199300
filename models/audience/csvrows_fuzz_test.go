package audience

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"testing"
)

// FuzzCSVRowReader checks the bounded reader against encoding/csv itself:
// with a limit no record reaches, both must see the same records, fields,
// problems and line numbers; with a tiny limit, no row may carry more than
// the limit and lines must still only go forward.
func FuzzCSVRowReader(f *testing.F) {
	for _, seed := range []string{
		"email,name\na@x.com,Ann\n",
		"\xef\xbb\xbfemail;name\r\na@x.com;\"A\nnn\"\r\n\r\nb@x.com;Bob",
		"email,note\na@x.com,\"broken\"quote\nb@x.com,x\"y\nc@x.com,ok\n",
		"email,name\n\"a@x.com\",\"Ann \"\"the\"\" first\"\n\r\n\rx,y\n",
		"email\n\"unclosed\n",
		"email,v\na@x.com,\xe9t\xe9\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareWithEncodingCSV(t, data)
		checkSmallLimit(t, data, 16)
	})
}

type seenRow struct {
	Line    int
	Fields  []string
	Problem RowProblem
}

func compareWithEncodingCSV(t *testing.T, data []byte) {
	rr, err := newCSVRowReader(bytes.NewReader(data), 1<<20)
	if err != nil {
		return // header problems are checked by the unit tests
	}
	var got []seenRow
	for {
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read error: %v", err)
		}
		got = append(got, seenRow{row.Line, slices.Clone(row.Fields), row.Problem})
	}

	body := bytes.TrimPrefix(data, utf8BOM)
	cr := csv.NewReader(bytes.NewReader(body))
	cr.Comma = rr.Delimiter()
	cr.FieldsPerRecord = -1
	if _, err := cr.Read(); err != nil {
		t.Fatalf("encoding/csv cannot read the header our reader accepted: %v", err)
	}
	var want []seenRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			want = append(want, seenRow{Line: perr.StartLine, Problem: ProblemMalformed})
			continue
		}
		line, _ := cr.FieldPos(0)
		want = append(want, seenRow{Line: line, Fields: rec})
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, encoding/csv has %d\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Line != w.Line {
			t.Fatalf("row %d: line %d, encoding/csv says %d", i, g.Line, w.Line)
		}
		if w.Problem == ProblemMalformed {
			if g.Problem != ProblemMalformed {
				t.Fatalf("row %d: problem %q, want malformed", i, g.Problem)
			}
			continue
		}
		if g.Problem == ProblemMalformed || g.Problem == ProblemTooLong || !slices.Equal(g.Fields, w.Fields) {
			t.Fatalf("row %d: %q %q, encoding/csv has %q", i, g.Problem, g.Fields, w.Fields)
		}
	}
}

func checkSmallLimit(t *testing.T, data []byte, limit int) {
	rr, err := newCSVRowReader(bytes.NewReader(data), limit)
	if err != nil {
		return
	}
	last := 0
	for {
		row, err := rr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("read error: %v", err)
		}
		if row.Line <= last {
			t.Fatalf("line %d after line %d", row.Line, last)
		}
		last = row.Line
		n := 0
		for _, f := range row.Fields {
			n += len(f)
		}
		if n > limit {
			t.Fatalf("row of %d bytes passed a %d-byte limit", n, limit)
		}
	}
}
