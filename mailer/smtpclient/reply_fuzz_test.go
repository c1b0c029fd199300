package smtpclient

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// writeReply writes a reply read as code and text back in SMTP's form: one
// line per line of text, each but the last marked as continued.
func writeReply(code int, text string) string {
	var b strings.Builder
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		b.WriteString(strconv.Itoa(code) + sep + line + "\r\n")
	}
	return b.String()
}

// FuzzReply feeds the reply reader whatever a server could send. It never
// panics, reads only codes 200 to 599, and what it reads, written back as
// a reply, reads the same; an unexpected reply's error is one line.
func FuzzReply(f *testing.F) {
	for _, seed := range []string{
		"220 mx.example ESMTP\r\n", "250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n", "250\r\n", "250-\r\n250 \r\n",
		"421 4.7.0 slow down\r\n", "550-5.1.1 no such user\r\n550 5.1.1 see https://example/\r\n", "250 ok\n", "25\r\n",
		"2500 too long\r\n", "250x bad\r\n", "199 low\r\n", "600 high\r\n", "+25 sign\r\n", "250-a\r\n550 b\r\n",
		"250 text\rwith cr\r\r\n", "250 no newline", "354 go ahead\r\n250 2.0.0 queued as X\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &Client{r: bufio.NewReader(bytes.NewReader(in))}
		for {
			code, text, err := c.read()
			if err != nil {
				break
			}
			if code < 200 || code > 599 {
				t.Fatalf("%q: code %d", in, code)
			}
			again := &Client{r: bufio.NewReader(strings.NewReader(writeReply(code, text)))}
			if code2, text2, err := again.read(); err != nil || code2 != code || text2 != text {
				t.Fatalf("%q: read %d %q, written back and read again %d %q %v", in, code, text, code2, text2, err)
			}
		}
		c = &Client{r: bufio.NewReader(bytes.NewReader(in))}
		var refused *Error
		if _, err := c.reply(250); errors.As(err, &refused) && (refused.Code == 250 || strings.Contains(refused.Text, "\n")) {
			t.Fatalf("%q: %+v", in, refused)
		}
	})
}
