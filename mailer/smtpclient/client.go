// Package smtpclient is the SMTP client of the delivery hot path: one
// connection, one transaction after another. It does what go-smtp's client
// does for delivery, but a transaction costs two round trips instead of
// five when the server offers PIPELINING (RFC 2920): MAIL, RCPT and DATA go
// out together, then the dot-stuffed message in one write. At thousands of
// messages a second the round trips, not the bytes, were the bottleneck.
package smtpclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
)

// Error is an SMTP reply other than the one a command expects: its code
// and text (with the enhanced status code, when the server gave one).
type Error struct {
	Code int
	Text string
}

func (e *Error) Error() string { return strconv.Itoa(e.Code) + " " + e.Text }

// Client is one SMTP connection. It is not safe for concurrent use.
type Client struct {
	ctx     context.Context
	stop    func() bool // stops the watch on ctx
	raw     net.Conn    // the TCP connection, under TLS or not
	conn    net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	timeout time.Duration
	ext     map[string]string // EHLO keywords, upper case, with their parameters
	// dirty: a transaction ended without a final reply, so the server may
	// still hold its envelope; RSET clears it before the next one. A
	// completed transaction (RFC 5321 4.1.1.4) needs no RSET.
	dirty bool
	data  []byte // the dot-stuffed message, reused between transactions
}

// New reads the server's greeting on conn. Every exchange after it must
// finish within timeout, and none outlives ctx: when ctx ends, the
// exchange under way fails at once (its deadline is moved to the past),
// so a stuck receiver cannot hold the caller.
func New(ctx context.Context, conn net.Conn, timeout time.Duration) (*Client, error) {
	c := &Client{ctx: ctx, raw: conn, timeout: timeout}
	c.setConn(conn)
	c.stop = context.AfterFunc(ctx, c.expire)
	c.deadline()
	if _, err := c.reply(220); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// expire fails whatever exchange is under way, and every later one.
func (c *Client) expire() { _ = c.raw.SetDeadline(time.Unix(1, 0)) }

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.r = bufio.NewReader(conn)
	c.w = bufio.NewWriter(conn)
}

// deadline gives the next exchange timeout, or less when ctx ends sooner.
// It checks ctx after setting the deadline: were ctx to end between the
// two, expire might otherwise run first and be overwritten.
func (c *Client) deadline() {
	at := time.Now().Add(c.timeout)
	if d, ok := c.ctx.Deadline(); ok && d.Before(at) {
		at = d
	}
	_ = c.conn.SetDeadline(at)
	if c.ctx.Err() != nil {
		c.expire()
	}
}

// Hello greets the server with EHLO, or HELO when EHLO is refused, and
// learns its extensions.
func (c *Client) Hello(name string) error {
	c.deadline()
	text, err := c.cmd(250, "EHLO "+name)
	var se *Error
	if errors.As(err, &se) && se.Code >= 500 {
		c.ext = map[string]string{}
		_, err = c.cmd(250, "HELO "+name)
		return err
	}
	if err != nil {
		return err
	}
	c.ext = map[string]string{}
	lines := strings.Split(text, "\n")
	for _, line := range lines[1:] {
		k, v, _ := strings.Cut(line, " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// Extension says whether the server offers an extension, and its parameters.
func (c *Client) Extension(name string) (bool, string) {
	v, ok := c.ext[strings.ToUpper(name)]
	return ok, v
}

// StartTLS upgrades the connection; the caller greets again after it, as
// the server forgets what it knew (RFC 3207 4.2).
func (c *Client) StartTLS(conf *tls.Config) error {
	c.deadline()
	if _, err := c.cmd(220, "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(c.conn, conf)
	if err := tc.HandshakeContext(c.ctx); err != nil {
		return err
	}
	c.setConn(tc)
	c.ext = nil
	return nil
}

// Auth authenticates with a SASL mechanism.
func (c *Client) Auth(a sasl.Client) error {
	c.deadline()
	mech, resp, err := a.Start()
	if err != nil {
		return err
	}
	line := "AUTH " + mech
	if resp != nil {
		line += " " + encode(resp)
	}
	code, text, err := c.exchange(line)
	for err == nil && code == 334 {
		var challenge []byte
		if challenge, err = base64.StdEncoding.DecodeString(text); err != nil {
			break
		}
		if resp, err = a.Next(challenge); err != nil {
			break
		}
		code, text, err = c.exchange(encode(resp))
	}
	if err != nil {
		c.exchange("*") // cancel the exchange (RFC 4954 4)
		return err
	}
	if code != 235 {
		return &Error{Code: code, Text: text}
	}
	return nil
}

func encode(b []byte) string {
	if len(b) == 0 {
		return "="
	}
	return base64.StdEncoding.EncodeToString(b)
}

// Send runs one transaction: MAIL FROM, RCPT TO and DATA, pipelined when
// the server allows, then the message. When the server also offers
// CHUNKING (RFC 3030) and the message's lines all end in CRLF, BDAT
// replaces DATA: the message follows the commands at once, as it is, and
// the transaction takes one round trip instead of two. It returns the
// server's final reply text. An *Error is the server refusing; any other
// error is a broken connection, which must not be used again.
func (c *Client) Send(from, to string, msg []byte) (string, error) {
	c.deadline()
	mail := "MAIL FROM:<" + from + ">"
	if ok, _ := c.Extension("SIZE"); ok {
		mail += " SIZE=" + strconv.Itoa(len(msg))
	}
	pipelining, _ := c.Extension("PIPELINING")
	chunking, _ := c.Extension("CHUNKING")
	last := "DATA"
	if pipelining && chunking && crlfLines(msg) {
		last = "BDAT " + strconv.Itoa(len(msg)) + " LAST"
	}
	cmds := []string{mail, "RCPT TO:<" + to + ">", last}
	if c.dirty {
		cmds = append([]string{"RSET"}, cmds...)
	}
	c.dirty = true
	if !pipelining {
		for _, cmd := range cmds {
			if _, err := c.cmd(expected(cmd), cmd); err != nil {
				return "", err
			}
		}
		return c.sendData(msg)
	}
	c.data = c.data[:0]
	for _, cmd := range cmds {
		c.data = append(append(c.data, cmd...), '\r', '\n')
	}
	out := net.Buffers{c.data}
	if last != "DATA" {
		out = append(out, msg) // written with the commands, in one system call
	}
	if _, err := out.WriteTo(c.conn); err != nil {
		return "", err
	}
	// Every command has its reply, read in order, even after a refusal.
	var refused error
	for _, cmd := range cmds {
		text, err := c.reply(expected(cmd))
		if !isReply(err) {
			return "", err
		}
		switch {
		case err != nil && refused == nil:
			refused = err
			if cmd == "DATA" {
				return "", refused
			}
		case err == nil && cmd == "DATA" && refused != nil:
			// Accepted DATA after a refused command: end it empty (RFC 2920 3.1).
			if _, err := c.cmd(250, "."); !isReply(err) {
				return "", err
			}
			return "", refused
		case err == nil && cmd == "DATA":
			return c.sendData(msg)
		case err == nil && cmd == last && refused == nil: // BDAT: the message was taken
			c.dirty = false
			return text, nil
		}
	}
	return "", refused
}

// sendData sends the message after DATA's 354, dot-stuffed, and reads the
// final reply.
func (c *Client) sendData(msg []byte) (string, error) {
	c.data = appendDotted(c.data[:0], msg)
	if _, err := c.w.Write(c.data); err != nil {
		return "", err
	}
	if err := c.w.Flush(); err != nil {
		return "", err
	}
	text, err := c.reply(250)
	if err == nil {
		c.dirty = false
	}
	return text, err
}

// crlfLines says whether every line of msg ends in CRLF, as BDAT carries
// a message unchanged (DATA's dot-stuffing also mends bare LFs). One pass
// from LF to LF: counting CRLFs took as long again as the rest of it.
func crlfLines(msg []byte) bool {
	if !bytes.HasSuffix(msg, []byte("\r\n")) {
		return false
	}
	for i := 0; ; {
		j := bytes.IndexByte(msg[i:], '\n')
		if j < 0 {
			return true
		}
		if i+j == 0 || msg[i+j-1] != '\r' {
			return false
		}
		i += j + 1
	}
}

// expected is the success code of a command.
func expected(cmd string) int {
	if cmd == "DATA" {
		return 354
	}
	return 250
}

func isReply(err error) bool {
	var se *Error
	return err == nil || errors.As(err, &se)
}

// appendDotted appends msg to dst as DATA carries it (RFC 5321 4.5.2): CRLF
// line ends, a dot doubled at the start of a line, and the final dot line.
// One pass over the bytes, where textproto's writer goes a byte at a time.
func appendDotted(dst, msg []byte) []byte {
	for len(msg) > 0 {
		if msg[0] == '.' {
			dst = append(dst, '.')
		}
		i := bytes.IndexByte(msg, '\n')
		if i < 0 {
			dst = append(dst, msg...)
			dst = append(dst, '\r', '\n')
			break
		}
		if i > 0 && msg[i-1] == '\r' {
			dst = append(dst, msg[:i+1]...)
		} else {
			dst = append(dst, msg[:i]...)
			dst = append(dst, '\r', '\n')
		}
		msg = msg[i+1:]
	}
	return append(dst, '.', '\r', '\n')
}

// Quit ends the session politely; Close then closes the connection.
func (c *Client) Quit() error {
	if c.ctx.Err() != nil {
		return c.ctx.Err()
	}
	_ = c.conn.SetDeadline(time.Now().Add(min(c.timeout, 5*time.Second)))
	_, err := c.cmd(221, "QUIT")
	return err
}

// Close closes the connection.
func (c *Client) Close() error {
	c.stop()
	return c.conn.Close()
}

// cmd sends one command and reads its reply, expecting code.
func (c *Client) cmd(code int, line string) (string, error) {
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return "", err
	}
	if err := c.w.Flush(); err != nil {
		return "", err
	}
	return c.reply(code)
}

// exchange sends one line and returns whatever the server answers.
func (c *Client) exchange(line string) (int, string, error) {
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return 0, "", err
	}
	if err := c.w.Flush(); err != nil {
		return 0, "", err
	}
	return c.read()
}

// reply reads a reply and turns any code but want into an *Error.
func (c *Client) reply(want int) (string, error) {
	code, text, err := c.read()
	if err != nil {
		return "", err
	}
	if code != want && !(want == 250 && code == 251) {
		return "", &Error{Code: code, Text: strings.ReplaceAll(text, "\n", " ")}
	}
	return text, nil
}

// read reads a reply of one or more lines; their texts are joined by "\n".
func (c *Client) read() (int, string, error) {
	var text strings.Builder
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return 0, "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 3 {
			return 0, "", errors.New("short reply: " + strconv.Quote(line))
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil || code < 200 || code > 599 {
			return 0, "", errors.New("malformed reply: " + strconv.Quote(line))
		}
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		if len(line) > 4 {
			text.WriteString(line[4:])
		}
		if len(line) == 3 || line[3] == ' ' {
			return code, text.String(), nil
		}
		if line[3] != '-' {
			return 0, "", errors.New("malformed reply: " + strconv.Quote(line))
		}
	}
}
