// Package smtpsink is a real SMTP server for tests: it records what it
// receives (envelope, client address, data) and can be told to answer
// 421, 451 or 550 after the data, to greylist, report a full mailbox or
// too many connections at RCPT, or to drop the connection after the final
// dot.
package smtpsink

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/internal/benchmeter"
)

// Mail is one message the sink accepted.
type Mail struct {
	From     string
	To       []string
	Data     []byte
	ClientIP string
	Helo     string
	TLS      bool // received after STARTTLS
}

// Behaviour is how the sink answers a transaction.
type Behaviour int

const (
	Accept Behaviour = iota
	Reply421
	Reply451
	Reply550
	DropAfterData // read the message, then hang up without answering

	// At RCPT TO:
	Greylist           // 451 4.7.1 Greylisted, please try again later
	MailboxFull        // 452 4.2.2 Mailbox full
	TooManyConnections // 421 4.7.0 Too many connections
)

// atRcpt says whether a behaviour answers RCPT TO rather than the data.
func (b Behaviour) atRcpt() bool { return b >= Greylist }

// Sink is a running SMTP server.
type Sink struct {
	Addr string
	// Discard keeps only counts, for benchmarks.
	Discard bool

	mu       sync.Mutex
	mails    []Mail
	rules    []rule
	accepted atomic.Int64
	conns    atomic.Int64
	server   *smtp.Server
}

type rule struct {
	rcptContains string
	behaviour    Behaviour
	times        int // 0: always
}

// Start serves on a free loopback port until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	return start(t, nil)
}

// StartTLS is Start with STARTTLS offered, with cert.
func StartTLS(t testing.TB, cert tls.Certificate) *Sink {
	t.Helper()
	return start(t, &tls.Config{Certificates: []tls.Certificate{cert}})
}

func start(t testing.TB, tlsConf *tls.Config) *Sink {
	t.Helper()
	s := &Sink{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	srv := smtp.NewServer(s)
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 30 << 20
	srv.ErrorLog = quietLog{} // clients hanging up mid-session is what some tests do
	srv.TLSConfig = tlsConf
	s.server = srv
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Port is the port the sink listens on.
func (s *Sink) Port() int {
	_, port, _ := net.SplitHostPort(s.Addr)
	n, _ := strconv.Atoi(port)
	return n
}

// When makes transactions to recipients containing rcpt behave so, for the
// next times transactions (0: from now on).
func (s *Sink) When(rcpt string, b Behaviour, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append([]rule{{rcptContains: rcpt, behaviour: b, times: times}}, s.rules...)
}

// behaviour is the first rule for one of rcpts answering RCPT TO (atRcpt)
// or the data; it uses up one of the rule's times.
func (s *Sink) behaviour(atRcpt bool, rcpts []string) Behaviour {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range s.rules {
		if r.behaviour.atRcpt() != atRcpt {
			continue
		}
		for _, to := range rcpts {
			if strings.Contains(to, r.rcptContains) {
				if r.times > 0 {
					s.rules[i].times--
					if s.rules[i].times == 0 {
						s.rules = append(s.rules[:i], s.rules[i+1:]...)
					}
				}
				return r.behaviour
			}
		}
	}
	return Accept
}

// Mails returns what was accepted so far.
func (s *Sink) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// Accepted counts accepted messages (also in Discard mode).
func (s *Sink) Accepted() int64 { return s.accepted.Load() }

// Connections counts the SMTP connections opened to the sink.
func (s *Sink) Connections() int64 { return s.conns.Load() }

// NewSession implements smtp.Backend.
func (s *Sink) NewSession(c *smtp.Conn) (smtp.Session, error) {
	s.conns.Add(1)
	host, _, _ := net.SplitHostPort(c.Conn().RemoteAddr().String())
	return &session{sink: s, conn: c, ip: host}, nil
}

type session struct {
	sink *Sink
	conn *smtp.Conn
	ip   string
	from string
	to   []string
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch ss.sink.behaviour(true, []string{to}) {
	case Greylist:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "Greylisted, please try again later"}
	case MailboxFull:
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "Mailbox full"}
	case TooManyConnections:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many connections"}
	}
	ss.to = append(ss.to, to)
	return nil
}

var errDropped = errors.New("dropped")

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	var dst io.Writer = &buf
	if ss.sink.Discard { // read it all, keep nothing: a benchmark's sink should cost little
		dst = io.Discard
	}
	if _, err := io.Copy(dst, r); err != nil {
		return err
	}
	switch ss.sink.behaviour(false, ss.to) {
	case Reply421:
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "Too many messages, slow down and try again later"}
	case Reply451:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again in 120 seconds"}
	case Reply550:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	case DropAfterData:
		ss.conn.Conn().Close()
		return errDropped
	}
	ss.sink.accepted.Add(1)
	if !ss.sink.Discard {
		ss.sink.mu.Lock()
		ss.sink.mails = append(ss.sink.mails, Mail{From: ss.from, To: append([]string(nil), ss.to...), Data: buf.Bytes(), ClientIP: ss.ip, Helo: ss.conn.Hostname(), TLS: isTLS(ss.conn)})
		ss.sink.mu.Unlock()
	}
	return nil
}

func isTLS(c *smtp.Conn) bool {
	_, ok := c.TLSConnectionState()
	return ok
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
}

func (ss *session) Logout() error { return nil }

type quietLog struct{}

func (quietLog) Printf(string, ...interface{}) {}
func (quietLog) Println(...interface{})        {}

// childEnv marks a test binary started by StartProcess.
const childEnv = "SESAME_SMTPSINK_CHILD"

// Process is a discarding sink running in a child process.
type Process struct {
	Addr string
	pid  int
	in   io.WriteCloser
	out  *bufio.Reader
}

// StartProcess runs a discarding sink in a child process (the test binary
// again, whose TestMain calls ServeIfChild), so that a benchmark measures
// the CPU time and memory of Sesame alone, as it would against a real
// receiving server.
func StartProcess(t testing.TB) *Process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		_ = cmd.Wait()
	})
	p := &Process{pid: cmd.Process.Pid, in: in, out: bufio.NewReader(stdout)}
	line, err := p.out.ReadString('\n')
	if err != nil {
		t.Fatalf("sink process: %v", err)
	}
	p.Addr = strings.TrimSpace(line)
	return p
}

// Accepted asks the child how many messages it accepted.
func (p *Process) Accepted() (int64, error) {
	if _, err := io.WriteString(p.in, "count\n"); err != nil {
		return 0, err
	}
	line, err := p.out.ReadString('\n')
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(line), 10, 64)
}

// CPU is the CPU time the sink process used so far: a benchmark's receiving
// server shares the machine with Sesame, so its cost is worth knowing.
func (p *Process) CPU() time.Duration { return benchmeter.CPUOf(p.pid) }

// ServeIfChild turns a test binary started by StartProcess into the sink
// (a Counter): it prints the address, answers each line on stdin with the
// count of accepted messages, and exits when stdin closes. Otherwise it
// returns.
func ServeIfChild() {
	if os.Getenv(childEnv) == "" {
		return
	}
	c, err := ServeCounter()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(c.Addr)
	lines := bufio.NewScanner(os.Stdin)
	for lines.Scan() {
		fmt.Println(c.Accepted())
	}
	os.Exit(0)
}
