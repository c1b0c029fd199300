package audience

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// RowProblem is why a CSV row was not imported, as the import report and
// its CSV download word it.
type RowProblem string

const (
	ProblemNone        RowProblem = ""
	ProblemEmpty       RowProblem = "empty"
	ProblemTooLong     RowProblem = "too long"
	ProblemBadAddress  RowProblem = "bad address"
	ProblemBadEncoding RowProblem = "bad encoding"
	ProblemFieldCount  RowProblem = "wrong number of fields"
	ProblemMalformed   RowProblem = "malformed CSV"
	ProblemBadData     RowProblem = "bad variables"
)

// MaxCSVRecordBytes caps one CSV record. A longer record (a runaway quote, a
// 50 MB cell) is reported as too long and skipped without being held in
// memory, so an import's memory stays bounded whatever the file holds.
const MaxCSVRecordBytes = 64 << 10

// maxCSVHeaderBytes caps the header line, which is read before the delimiter
// is known.
const maxCSVHeaderBytes = 64 << 10

// CSVRow is one data record of a CSV file: its first line number in the
// file, its fields (aligned with the header when Problem is empty), and
// what is wrong with it, if anything.
type CSVRow struct {
	Line    int
	Fields  []string
	Problem RowProblem
}

// CSVRowReader reads a CSV file with a header row, one record at a time,
// in bounded memory: UTF-8 with or without a byte-order mark, comma or
// semicolon delimited (whichever the header uses), quoted fields with
// embedded newlines. Broken records come back as rows with a Problem and
// the reader carries on with the next record.
type CSVRowReader struct {
	header []string
	guard  *recordGuard
	csv    *csv.Reader
	delim  rune
}

// HeaderError says why a file's first line is not a usable header.
type HeaderError struct{ Message string }

func (e *HeaderError) Error() string { return e.Message }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// NewCSVRowReader reads the header of r and prepares to read its records.
func NewCSVRowReader(r io.Reader) (*CSVRowReader, error) {
	return newCSVRowReader(r, MaxCSVRecordBytes)
}

func newCSVRowReader(r io.Reader, recordLimit int) (*CSVRowReader, error) {
	br := bufio.NewReaderSize(r, maxCSVHeaderBytes)
	if bom, _ := br.Peek(3); bytes.Equal(bom, utf8BOM) {
		_, _ = br.Discard(3)
	}
	head, err := br.Peek(maxCSVHeaderBytes)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, err
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return nil, &HeaderError{"The file is empty."}
	}
	delim := detectDelimiter(head)
	guard := newRecordGuard(br, byte(delim), recordLimit)
	cr := csv.NewReader(guard)
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	rr := &CSVRowReader{guard: guard, csv: cr, delim: delim}
	rec, err := cr.Read()
	guard.takeRecordLine()
	var tooLong *recordTooLongError
	switch {
	case errors.As(err, &tooLong):
		return nil, &HeaderError{"The first line is too long to be a header row."}
	case errors.Is(err, io.EOF):
		return nil, &HeaderError{"The file is empty."}
	case err != nil:
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return nil, &HeaderError{"The header row is not valid CSV: " + perr.Err.Error() + "."}
		}
		return nil, err
	}
	for i, name := range rec {
		if !utf8.ValidString(name) {
			return nil, &HeaderError{"The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."}
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, &HeaderError{fmt.Sprintf("Column %d of the header row has no name.", i+1)}
		}
		rr.header = append(rr.header, name)
	}
	return rr, nil
}

// detectDelimiter picks ';' when the header line has more semicolons than
// commas outside quotes, and ',' otherwise.
func detectDelimiter(head []byte) rune {
	commas, semicolons, quoted := 0, 0, false
	for _, c := range head {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			if semicolons > commas {
				return ';'
			}
			return ','
		case c == ',':
			commas++
		case c == ';':
			semicolons++
		}
	}
	if semicolons > commas {
		return ';'
	}
	return ','
}

// Header returns the column names, trimmed, in file order.
func (rr *CSVRowReader) Header() []string { return rr.header }

// Delimiter is the field separator detected from the header.
func (rr *CSVRowReader) Delimiter() rune { return rr.delim }

// BytesRead is how far into the input the reader has got, for progress.
func (rr *CSVRowReader) BytesRead() int64 { return rr.guard.consumed }

// Next returns the next record, or io.EOF after the last. Other errors are
// the underlying reader's. The row's Fields are valid until the next call.
func (rr *CSVRowReader) Next() (CSVRow, error) {
	rec, err := rr.csv.Read()
	if errors.Is(err, io.EOF) {
		return CSVRow{}, io.EOF
	}
	row := CSVRow{Line: rr.guard.takeRecordLine(), Fields: rec}
	var (
		tooLong *recordTooLongError
		perr    *csv.ParseError
	)
	switch {
	case errors.As(err, &tooLong):
		row.Problem, row.Fields = ProblemTooLong, nil
		return row, nil
	case errors.As(err, &perr):
		row.Problem = ProblemMalformed
		return row, nil
	case err != nil:
		return CSVRow{}, err
	}
	for _, f := range rec {
		if !utf8.ValidString(f) {
			row.Problem = ProblemBadEncoding
			return row, nil
		}
	}
	if len(rec) != len(rr.header) {
		row.Problem = ProblemFieldCount
	}
	return row, nil
}

// recordTooLongError is what the guard hands encoding/csv in place of a
// record over the limit; the CSV reader passes it up unchanged.
type recordTooLongError struct{}

func (*recordTooLongError) Error() string { return "CSV record too long" }

// recordGuard sits between the file and encoding/csv, which would otherwise
// gather a record of any length in memory. It follows the record
// boundaries exactly as encoding/csv draws them (LazyQuotes off: a quote
// opens a field only at its start, "" is a quote inside one, and a broken
// quote makes the reader give up on the rest of the physical line). When a
// record grows past the limit it stops the record with an error and drops
// the rest of it unread by the CSV reader. It also remembers where each
// record started, so rows are reported with their line in the file even
// when lines were dropped.
type recordGuard struct {
	src      *bufio.Reader
	delim    byte
	limit    int
	state    guardState
	line     int   // current line in the file, from 1
	size     int   // bytes of the current record so far
	consumed int64 // bytes taken from src
	starts   []int // first lines of records handed on and not yet taken
	skipping bool  // dropping the rest of an over-long record
	pending  error // to return before any more data
}

type guardState uint8

const (
	gRecordStart   guardState = iota // between records
	gStartCR                         // a \r at a record start: an empty line if \n follows
	gFieldStart                      // after a delimiter
	gUnquoted                        // inside an unquoted field
	gQuoted                          // inside a quoted field
	gQuotedQuote                     // a quote inside a quoted field: "" or the end of the field
	gQuotedQuoteCR                   // a closing quote then \r: the record ends if \n follows
	gBroken                          // a quoting error: the CSV reader drops the rest of the line
)

func newRecordGuard(src *bufio.Reader, delim byte, limit int) *recordGuard {
	return &recordGuard{src: src, delim: delim, limit: limit, line: 1}
}

// takeRecordLine returns the first line of the oldest record the CSV
// reader has not yet reported.
func (g *recordGuard) takeRecordLine() int {
	if len(g.starts) == 0 {
		return g.line
	}
	l := g.starts[0]
	g.starts = g.starts[1:]
	return l
}

func (g *recordGuard) Read(p []byte) (int, error) {
	if g.pending != nil {
		err := g.pending
		g.pending = nil
		return 0, err
	}
	n := 0
	for n < len(p) {
		if g.src.Buffered() == 0 {
			if n > 0 {
				return n, nil // do not block for more while holding data
			}
			if _, err := g.src.Peek(1); err != nil {
				return 0, err
			}
		}
		buf, _ := g.src.Peek(g.src.Buffered())
		if run := g.plainRun(buf); run > 0 {
			// Bytes inside a field that change nothing but the size: take
			// them in one go, up to the limit.
			if !g.skipping {
				run = min(run, len(p)-n, max(g.limit-g.size, 1))
				copy(p[n:], buf[:run])
				n += run
				g.size += run
			}
			_, _ = g.src.Discard(run)
			g.consumed += int64(run)
			if !g.skipping && g.size > g.limit {
				return g.cut(n)
			}
			continue
		}
		c := buf[0]
		_, _ = g.src.Discard(1)
		g.consumed++
		inRecord := g.step(c)
		if g.skipping {
			if !inRecord {
				g.skipping, g.size = false, 0
			}
			continue
		}
		if !inRecord {
			g.size = 0
		} else if g.size++; g.size > g.limit {
			return g.cut(n)
		}
		p[n] = c
		n++
	}
	return n, nil
}

// cut ends an over-long record where the data handed on stops: the CSV
// reader sees the error there, and the rest of the record is dropped.
func (g *recordGuard) cut(n int) (int, error) {
	g.skipping = true
	if n > 0 {
		g.pending = &recordTooLongError{}
		return n, nil
	}
	return 0, &recordTooLongError{}
}

// plainRun counts the leading bytes of buf that leave the state as it is:
// field content other than quotes, delimiters and line ends.
func (g *recordGuard) plainRun(buf []byte) int {
	switch g.state {
	case gUnquoted:
		for i, c := range buf {
			if c == g.delim || c == '\n' || c == '"' {
				return i
			}
		}
	case gQuoted:
		for i, c := range buf {
			if c == '"' || c == '\n' {
				return i
			}
		}
	case gBroken:
		for i, c := range buf {
			if c == '\n' {
				return i
			}
		}
	default:
		return 0
	}
	return len(buf)
}

// step advances the state machine by one byte and reports whether the
// byte belongs to a record (false for the byte that ends one, and for
// empty lines).
func (g *recordGuard) step(c byte) bool {
	if c == '\n' {
		defer func() { g.line++ }()
	}
	switch g.state {
	case gRecordStart:
		switch c {
		case '\n':
			return false
		case '\r':
			g.state = gStartCR
			return true
		}
		g.starts = append(g.starts, g.line)
		return g.fieldByte(c)
	case gStartCR:
		if c == '\n' {
			g.state = gRecordStart
			return false
		}
		// The \r began a record's first, unquoted field.
		g.starts = append(g.starts, g.line)
		g.state = gUnquoted
		return g.unquotedByte(c)
	case gFieldStart:
		return g.fieldByte(c)
	case gUnquoted:
		return g.unquotedByte(c)
	case gQuoted:
		if c == '"' {
			g.state = gQuotedQuote
		}
		return true
	case gQuotedQuote:
		switch c {
		case '"':
			g.state = gQuoted
		case g.delim:
			g.state = gFieldStart
		case '\n':
			g.state = gRecordStart
			return false
		case '\r':
			g.state = gQuotedQuoteCR
		default:
			g.state = gBroken
		}
		return true
	case gQuotedQuoteCR:
		if c == '\n' {
			g.state = gRecordStart
			return false
		}
		g.state = gBroken
		return true
	default: // gBroken
		if c == '\n' {
			g.state = gRecordStart
			return false
		}
		return true
	}
}

// fieldByte handles the first byte of a field.
func (g *recordGuard) fieldByte(c byte) bool {
	switch c {
	case '"':
		g.state = gQuoted
		return true
	case '\n':
		g.state = gRecordStart
		return false
	}
	g.state = gUnquoted
	return g.unquotedByte(c)
}

func (g *recordGuard) unquotedByte(c byte) bool {
	switch c {
	case g.delim:
		g.state = gFieldStart
	case '\n':
		g.state = gRecordStart
		return false
	case '"':
		g.state = gBroken
	}
	return true
}
