package smtpclient_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/mailer/smtpclient"
	"github.com/sesame-email/sesame/mailer/smtpd"
)

func dial(t *testing.T, addr string) *smtpclient.Client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return greet(t, conn, "mta.sender.test")
}

// greet starts a client on conn, which says hello as helo.
func greet(t *testing.T, conn net.Conn, helo string) *smtpclient.Client {
	t.Helper()
	c, err := smtpclient.New(context.Background(), conn, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello(helo); err != nil {
		t.Fatal(err)
	}
	return c
}

// Pipelined transactions on one connection against go-smtp's server: the
// data arrives as sent, refusals come back as *Error with the server's
// text, and the connection stays usable after each.
func TestSendPipelined(t *testing.T) {
	sink := smtpsink.Start(t)
	sink.When("gone@", smtpsink.Reply550, 0)
	sink.When("busy@", smtpsink.Reply451, 1)
	c := dial(t, sink.Addr)
	if ok, _ := c.Extension("pipelining"); !ok {
		t.Fatal("go-smtp's server offers PIPELINING; the client did not see it")
	}
	msg := "Subject: one\r\n\r\n.starts with a dot\r\nbare LF\nend"
	if reply, err := c.Send("bounce+1@bounce.sender.test", "a@rcpt.test", []byte(msg)); err != nil || !strings.HasPrefix(reply, "2.0.0") {
		t.Fatalf("first: %q %v", reply, err)
	}
	_, err := c.Send("bounce+2@bounce.sender.test", "gone@rcpt.test", []byte("Subject: two\r\n\r\nx\r\n"))
	var se *smtpclient.Error
	if !errors.As(err, &se) || se.Code != 550 || !strings.HasPrefix(se.Error(), "550 5.1.1 ") {
		t.Fatalf("550 expected: %v", err)
	}
	_, err = c.Send("bounce+3@bounce.sender.test", "busy@rcpt.test", []byte("Subject: three\r\n\r\nx\r\n"))
	if !errors.As(err, &se) || se.Code != 451 || !strings.Contains(se.Text, "try again") {
		t.Fatalf("451 expected: %v", err)
	}
	if _, err := c.Send("bounce+4@bounce.sender.test", "b@rcpt.test", []byte("Subject: four\r\n\r\nx\r\n")); err != nil {
		t.Fatalf("after refusals: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	mails := sink.Mails()
	if len(mails) != 2 || sink.Connections() != 1 {
		t.Fatalf("%d mails over %d connections", len(mails), sink.Connections())
	}
	if got, want := string(mails[0].Data), "Subject: one\r\n\r\n.starts with a dot\r\nbare LF\r\nend\r\n"; got != want {
		t.Errorf("data: %q, want %q", got, want)
	}
	if mails[0].From != "bounce+1@bounce.sender.test" || mails[1].To[0] != "b@rcpt.test" || mails[0].Helo != "mta.sender.test" {
		t.Errorf("envelope: %+v / %+v", mails[0], mails[1])
	}
}

// A server without PIPELINING gets one command at a time, and one that
// refuses EHLO gets HELO; the conversation is checked line by line.
func TestSendWithoutPipelining(t *testing.T) {
	client, server := net.Pipe()
	script := []struct{ want, answer string }{
		{"", "220 old.test ready"},
		{"EHLO me.test", "502 unknown command"},
		{"HELO me.test", "250 old.test"},
		{"MAIL FROM:<f@x.test>", "250 ok"},
		{"RCPT TO:<t@y.test>", "250 ok"},
		{"DATA", "354 go on"},
		{"hello", ""},
		{".", "250 queued as 7"},
		{"MAIL FROM:<f@x.test>", "250 ok"},
		{"RCPT TO:<u@y.test>", "550 5.1.1 no such user"},
		{"RSET", "250 ok"},
		{"MAIL FROM:<f@x.test>", "421 4.7.0 closing"},
	}
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		r := bufio.NewReader(server)
		for _, step := range script {
			if step.want != "" {
				line, err := r.ReadString('\n')
				if err != nil || line != step.want+"\r\n" {
					done <- errors.New("got " + line + ", want " + step.want)
					return
				}
			}
			if step.answer != "" {
				io.WriteString(server, step.answer+"\r\n")
			}
		}
		done <- nil
	}()
	c := greet(t, client, "me.test")
	if reply, err := c.Send("f@x.test", "t@y.test", []byte("hello\r\n")); err != nil || reply != "queued as 7" {
		t.Fatalf("%q %v", reply, err)
	}
	if _, err := c.Send("f@x.test", "u@y.test", []byte("x")); err == nil || err.Error() != "550 5.1.1 no such user" {
		t.Fatalf("550 expected: %v", err)
	}
	var se *smtpclient.Error
	if _, err := c.Send("f@x.test", "t@y.test", []byte("x")); !errors.As(err, &se) || se.Code != 421 {
		t.Fatalf("421 expected: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A server with PIPELINING and CHUNKING gets MAIL, RCPT and BDAT with the
// message as it is (no dot-stuffing) in one write, and answers the three
// at once; a message with a bare LF still goes by DATA, mended.
func TestSendChunked(t *testing.T) {
	client, server := net.Pipe()
	msg := "Subject: hi\r\n\r\n.leading dot\r\n"
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		r := bufio.NewReader(server)
		io.WriteString(server, "220 new.test\r\n")
		expect := func(want string) bool {
			got := make([]byte, len(want))
			if _, err := io.ReadFull(r, got); err != nil || string(got) != want {
				done <- errors.New("got " + string(got) + ", want " + want)
				return false
			}
			return true
		}
		if !expect("EHLO me.test\r\n") {
			return
		}
		io.WriteString(server, "250-new.test\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
		if !expect("MAIL FROM:<f@x.test>\r\nRCPT TO:<t@y.test>\r\nBDAT " + strconv.Itoa(len(msg)) + " LAST\r\n" + msg) {
			return
		}
		io.WriteString(server, "250 ok\r\n250 ok\r\n250 2.0.0 queued as 8\r\n")
		if !expect("MAIL FROM:<f@x.test>\r\nRCPT TO:<t@y.test>\r\nDATA\r\n") {
			return
		}
		io.WriteString(server, "250 ok\r\n250 ok\r\n354 go on\r\n")
		if !expect("bare\r\nlf\r\n.\r\n") {
			return
		}
		io.WriteString(server, "250 queued as 9\r\n")
		done <- nil
	}()
	c := greet(t, client, "me.test")
	if reply, err := c.Send("f@x.test", "t@y.test", []byte(msg)); err != nil || reply != "2.0.0 queued as 8" {
		t.Fatalf("%q %v", reply, err)
	}
	if reply, err := c.Send("f@x.test", "t@y.test", []byte("bare\nlf\n")); err != nil || reply != "queued as 9" {
		t.Fatalf("%q %v", reply, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

type authBackend struct{ user, pass string }

func (b authBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &authSession{b: b}, nil }

type authSession struct {
	b    authBackend
	auth bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.b.user || pass != s.b.pass {
			return errors.New("bad credentials")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *authSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	return nil
}
func (s *authSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *authSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	return err
}
func (s *authSession) Reset()        {}
func (s *authSession) Logout() error { return nil }

// STARTTLS then AUTH PLAIN, as a relay asks for them.
func TestStartTLSAndAuth(t *testing.T) {
	cert, err := smtpd.Certificate("", "", t.TempDir(), "relay.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(authBackend{user: "u", pass: "p"})
	srv.Domain = "relay.test"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	c := dial(t, ln.Addr().String())
	if ok, _ := c.Extension("AUTH"); ok {
		t.Fatal("AUTH offered in clear")
	}
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil { // #nosec G402: a test's self-signed certificate
		t.Fatal(err)
	}
	if err := c.Hello("mta.sender.test"); err != nil {
		t.Fatal(err)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || !strings.Contains(mechs, "PLAIN") {
		t.Fatalf("AUTH after TLS: %v %q", ok, mechs)
	}
	var se *smtpclient.Error
	if _, err := c.Send("f@x.test", "t@y.test", []byte("x\r\n")); !errors.As(err, &se) || se.Code < 500 {
		t.Fatalf("unauthenticated send: %v", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "wrong")); !errors.As(err, &se) || !strings.Contains(se.Text, "bad credentials") {
		t.Fatalf("wrong password: %v", err)
	}
	if err := c.Auth(sasl.NewPlainClient("", "u", "p")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send("f@x.test", "t@y.test", []byte("x\r\n")); err != nil {
		t.Fatal(err)
	}
}

// stuckServer greets, reads what the client sends, and never answers: a
// receiver that hangs mid-transaction. Each line it reads is passed on.
func stuckServer(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lines := make(chan string, 16)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		io.WriteString(conn, "220 stuck.test ESMTP\r\n")
		r := bufio.NewReader(conn)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if strings.HasPrefix(line, "EHLO") {
				io.WriteString(conn, "250 stuck.test\r\n")
				continue
			}
			lines <- strings.TrimSpace(line)
		}
	}()
	return ln.Addr().String(), lines
}

// The context bounds every exchange: a receiver that stops answering in
// the middle of a transaction holds the client only until the context
// ends, not for the (here hour-long) reply timeout.
func TestContextEndsAStuckExchange(t *testing.T) {
	addr, lines := stuckServer(t)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := smtpclient.New(ctx, conn, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mta.sender.test"); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-lines // MAIL FROM reached the server, which will never answer
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := c.Send("a@sender.test", "b@rcpt.test", []byte("Subject: x\r\n\r\nx\r\n"))
		done <- err
	}()
	select {
	case err := <-done:
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("a cancelled exchange: %v, want a timeout", err)
		}
	case <-time.After(time.Minute): // a hang check, not a measurement
		t.Fatal("Send still waits for a stuck receiver after its context ended")
	}
	// The connection is unusable from then on, and says so at once.
	if _, err := c.Send("a@sender.test", "c@rcpt.test", []byte("x\r\n")); err == nil {
		t.Error("a send after the context ended succeeded")
	}
}

// A context deadline sooner than the reply timeout is the one that holds.
func TestContextDeadlineBoundsTheGreeting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			io.Copy(io.Discard, conn) // accepts, never greets
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := smtpclient.New(ctx, conn, time.Hour); err == nil {
		t.Fatal("a server that never greets: no error")
	}
}
