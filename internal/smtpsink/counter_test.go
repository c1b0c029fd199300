package smtpsink

import (
	"bufio"
	"net"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
)

func startCounter(t *testing.T) *Counter {
	t.Helper()
	c, err := ServeCounter()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dialCounter connects to the counter and returns the connection and a
// function that reads the codes of the next n replies (the last line of
// each).
func dialCounter(t *testing.T, c *Counter) (net.Conn, func(n int) []string) {
	t.Helper()
	conn, err := net.Dial("tcp", c.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := bufio.NewReader(conn)
	return conn, func(n int) []string {
		t.Helper()
		var out []string
		for len(out) < n {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatal(err)
			}
			if line[3] == ' ' {
				out = append(out, line[:3])
			}
		}
		return out
	}
}

// net/smtp stuffs the dots and waits for each reply: the counter must
// unstuff them, tell the final dot from a line that starts with one, and
// count every message and byte.
func TestCounterCountsWhatAClientSent(t *testing.T) {
	c := startCounter(t)
	client, err := smtp.Dial(c.Addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, ext := range []string{"PIPELINING", "CHUNKING"} {
		if ok, _ := client.Extension(ext); !ok {
			t.Errorf("%s not offered", ext)
		}
	}
	bodies := []string{
		"Subject: one\r\n\r\nplain\r\n",
		"Subject: two\r\n\r\n.\r\n..\r\n.leading dot\r\nend\r\n",
		"Subject: three\r\n\r\n" + strings.Repeat("x", 100_000) + "\r\n", // longer than a read buffer
	}
	var want int64
	for _, body := range bodies {
		if err := client.Mail("a@example.test"); err != nil {
			t.Fatal(err)
		}
		if err := client.Rcpt("b@example.test"); err != nil {
			t.Fatal(err)
		}
		w, err := client.Data()
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		want += int64(len(body))
	}
	if err := client.Quit(); err != nil {
		t.Fatal(err)
	}
	if c.Accepted() != 3 || c.Bytes() != want {
		t.Fatalf("accepted %d messages of %d bytes, want 3 of %d", c.Accepted(), c.Bytes(), want)
	}
}

// A pipelined transaction gets its replies in order; commands out of
// sequence are refused and nothing is counted for them.
func TestCounterPipelinedAndOutOfSequence(t *testing.T) {
	c := startCounter(t)
	conn, codes := dialCounter(t, c)
	if got := codes(1); got[0] != "220" {
		t.Fatalf("greeting %v", got)
	}
	conn.Write([]byte("MAIL FROM:<a@example.test>\r\nEHLO client.test\r\nDATA\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"))
	if got := strings.Join(codes(5), " "); got != "503 250 503 250 250" {
		t.Fatalf("replies %s", got)
	}
	if got := codes(1); got[0] != "354" {
		t.Fatalf("DATA: %v", got)
	}
	conn.Write([]byte("Subject: hi\r\n\r\nbody\r\n.\r\nRSET\r\nQUIT\r\n"))
	if got := strings.Join(codes(3), " "); got != "250 250 221" {
		t.Fatalf("replies %s", got)
	}
	if c.Accepted() != 1 || c.Bytes() != int64(len("Subject: hi\r\n\r\nbody\r\n")) {
		t.Fatalf("accepted %d, %d bytes", c.Accepted(), c.Bytes())
	}
}

// Chunks (RFC 3030) are read by their size, whatever they hold, and a
// transaction's message is the sum of its chunks.
func TestCounterChunking(t *testing.T) {
	c := startCounter(t)
	conn, codes := dialCounter(t, c)
	if got := codes(1); got[0] != "220" {
		t.Fatalf("greeting %v", got)
	}
	first, second := "Subject: a\r\n\r\n.\r\n", "QUIT\r\nmore\r\n"
	conn.Write([]byte("EHLO client.test\r\nBDAT 3 LAST\r\nabcMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n" +
		"BDAT " + strconv.Itoa(len(first)) + "\r\n" + first + "BDAT " + strconv.Itoa(len(second)) + " LAST\r\n" + second + "BDAT x\r\nQUIT\r\n"))
	if got := strings.Join(codes(8), " "); got != "250 503 250 250 250 250 501 221" {
		t.Fatalf("replies %s", got)
	}
	if c.Accepted() != 1 || c.Bytes() != int64(len(first+second)) {
		t.Fatalf("accepted %d, %d bytes", c.Accepted(), c.Bytes())
	}
}
