// Package smtpd is Sesame's SMTP server on SESAME_SMTP_ADDR (STARTTLS) and,
// when configured, SESAME_SMTPS_ADDR (implicit TLS). Sessions route by
// authentication. A client that has authenticated with a sender address
// and its SMTP password submits mail: each message is queued for the
// delivery pipeline before the server says so. A client that has not
// reaches the bounce mailbox only: mail systems return delivery status
// notifications and feedback reports to the bounce.<domain> addresses of
// the sending domains, and nothing else is accepted from them, so the
// server never relays for strangers.
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/report"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/sending"
)

// Config tunes the server; zero values take the defaults.
type Config struct {
	// Hostname is the name the server greets with: the bounce host, which
	// the MX records of the bounce domains name.
	Hostname string
	// MaxMessageBytes is the largest message accepted (10 MB, as sent).
	MaxMessageBytes int64
	// MaxRecipients per transaction (50).
	MaxRecipients int
	// MaxConnections open at once; more wait to be accepted (100).
	MaxConnections int
	// Timeout bounds the wait for each command, and for a whole message
	// after DATA (5 minutes, as RFC 5321 suggests).
	Timeout time.Duration
	// ShutdownGrace is how long open sessions may finish once the server is
	// told to stop (10 seconds).
	ShutdownGrace time.Duration
	// TLS is offered with STARTTLS and serves the implicit-TLS listener;
	// nil offers no TLS, and so no AUTH unless InsecureAuth.
	TLS *tls.Config
	// InsecureAuth offers and accepts AUTH without TLS: passwords in clear
	// text, for local tests only.
	InsecureAuth bool
	// SenderRecheck is how long an authenticated session trusts what it
	// read about its sender address before reading it again (10 seconds):
	// a deleted address or a domain that failed its re-check stops
	// sending within that time, also on connections that stay open.
	SenderRecheck time.Duration
	// Clock times the sender re-checks (the system clock).
	Clock models.Clock
}

func (c *Config) defaults() {
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = content.MaxMessageBytes
	}
	if c.MaxRecipients <= 0 {
		c.MaxRecipients = 50
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = 100
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Minute
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 10 * time.Second
	}
	if c.SenderRecheck <= 0 {
		c.SenderRecheck = 10 * time.Second
	}
	if c.Clock == nil {
		c.Clock = models.SystemClock{}
	}
}

// Stores are what the server reads and writes: bounce domains, the
// reports that come back, sender addresses and their passwords, and the
// sending rules submissions go through.
type Stores struct {
	Domains interface {
		GetDomainByName(ctx context.Context, raw string) (*identity.Domain, error)
	}
	Reports interface {
		RecordBounce(ctx context.Context, b queue.Bounce) (bool, error)
		RecordComplaint(ctx context.Context, c queue.Complaint) (bool, error)
	}
	Senders interface {
		LoginSMTP(ctx context.Context, in accounts.LoginInput) (*identity.SenderAddress, error)
		GetSenderByEmail(ctx context.Context, raw string) (*identity.SenderAddress, error)
	}
	Sending interface {
		CheckSender(sender *identity.SenderAddress, fromName string) error
		Submit(ctx context.Context, req sending.Request) ([]queue.Message, error)
	}
}

// Server is the SMTP server.
type Server struct {
	store Stores
	log   *slog.Logger
	cfg   Config
}

// New builds a server.
func New(store Stores, log *slog.Logger, cfg Config) *Server {
	cfg.defaults()
	return &Server{store: store, log: log.With("component", "smtpd"), cfg: cfg}
}

// storeTimeout bounds each piece of store work a session asks for.
const storeTimeout = 30 * time.Second

// Serve accepts connections on ln and, when implicitTLS is not nil, TLS
// connections on implicitTLS, until ctx ends; then it stops accepting and
// gives open sessions ShutdownGrace to finish before closing them. Work a
// session asked for when ctx ends (a report recorded, a message queued) is
// still done: its client is owed an answer.
func (s *Server) Serve(ctx context.Context, ln, implicitTLS net.Listener) error {
	if implicitTLS != nil && s.cfg.TLS == nil {
		ln.Close()
		implicitTLS.Close()
		return errors.New("smtpd: an implicit-TLS listener needs a TLS certificate")
	}
	work := context.WithoutCancel(ctx)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return s.newSession(work, c), nil
	}))
	srv.Domain = s.cfg.Hostname
	srv.MaxMessageBytes = s.cfg.MaxMessageBytes
	srv.MaxRecipients = s.cfg.MaxRecipients
	srv.ReadTimeout = s.cfg.Timeout
	srv.WriteTimeout = s.cfg.Timeout
	srv.TLSConfig = s.cfg.TLS
	// go-smtp would refuse AUTH without TLS with 523 before asking the
	// session; the session refuses it with the 530 clients expect.
	srv.AllowInsecureAuth = true
	srv.ErrorLog = errorLog{s.log}

	conns := newConnTracker()
	listeners := []net.Listener{conns.track(netutil.LimitListener(ln, s.cfg.MaxConnections))}
	if implicitTLS != nil {
		listeners = append(listeners, tls.NewListener(conns.track(netutil.LimitListener(implicitTLS, s.cfg.MaxConnections)), s.cfg.TLS))
	}
	errc := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errc <- srv.Serve(l) }()
	}
	pending := len(listeners)
	var err error
	select {
	case err = <-errc: // a listener failed: stop the other too
		pending--
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(work, s.cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		s.log.Info("hanging up on SMTP sessions that did not finish", "grace", s.cfg.ShutdownGrace)
		conns.hangUp()
	}
	conns.wait()
	for ; pending > 0; pending-- {
		err = errors.Join(err, <-errc)
	}
	return err
}

// session is one SMTP connection. Without authentication it is the bounce
// mailbox: recipients must be bounce addresses, and the message a report.
// Authenticated, it submits mail for the delivery pipeline.
type session struct {
	srv    *Server
	ctx    context.Context
	remote string // host:port, for the logs
	ip     string // the client's address, for the AUTH throttle
	tls    bool   // the connection is encrypted: AUTH may be offered

	// sender is the sender address the client authenticated as; nil: the
	// bounce mailbox. It was read at senderRead.
	sender     *identity.SenderAddress
	senderRead time.Time

	// The transaction.
	inTx     bool // MAIL was accepted
	from     string
	bounceTo []outgoing.BounceAddress // to the bounce mailbox
	rcpts    []queue.Addressee        // submitted
}

// newSession starts a session. go-smtp makes a new one after STARTTLS, so
// what it learns about TLS here stays true for its life.
func (s *Server) newSession(ctx context.Context, c *smtp.Conn) *session {
	remote := c.Conn().RemoteAddr().String()
	ip, _, err := net.SplitHostPort(remote)
	if err != nil {
		ip = remote
	}
	_, isTLS := c.TLSConnectionState()
	return &session{srv: s, ctx: ctx, remote: remote, ip: ip, tls: isTLS}
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.sender != nil {
		if err := ss.submissionFrom(from); err != nil {
			return err
		}
	}
	ss.from, ss.inTx = from, true // reports come from <> or from a feedback loop: anyone
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.sender != nil {
		return ss.submissionRcpt(to)
	}
	ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
	defer cancel()
	addr, err := ss.srv.bounceRecipient(ctx, to)
	if err != nil {
		return err
	}
	ss.bounceTo = append(ss.bounceTo, addr)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.sender != nil {
		return ss.submit(r)
	}
	rep, parseErr := report.Parse(r)
	// Read what the parser left, so a message over the size limit is
	// refused (552) rather than acted on.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
	defer cancel()
	return ss.srv.deliverReport(ctx, ss.log(), ss.bounceTo, rep, parseErr)
}

func (ss *session) log() *slog.Logger {
	return ss.srv.log.With("remote", ss.remote, "from", ss.from)
}

func (ss *session) Reset() {
	ss.inTx, ss.from, ss.bounceTo, ss.rcpts = false, "", nil, nil
}

func (ss *session) Logout() error { return nil }

// errorLog takes go-smtp's own messages: a panic it recovered from is an
// error; broken connections are everyday noise from the internet.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Printf(format string, v ...any) { l.print(fmt.Sprintf(format, v...)) }
func (l errorLog) Println(v ...any)               { l.print(fmt.Sprintln(v...)) }

func (l errorLog) print(msg string) {
	msg = strings.TrimSpace(msg)
	if strings.HasPrefix(msg, "panic") {
		l.log.Error("SMTP session failed", "err", msg)
		return
	}
	l.log.Debug("SMTP connection", "err", msg)
}
