// Package smtpd is Sesame's SMTP server on SESAME_SMTP_ADDR. A client that
// has not authenticated reaches the bounce mailbox only: mail systems return
// delivery status notifications and feedback reports to the bounce.<domain>
// addresses of the sending domains, and nothing else is accepted from it, so
// the server never relays. Sessions route by authentication, so submission
// by authenticated sender addresses can join on the same server.
package smtpd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/net/netutil"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/report"
	"github.com/sesame-email/sesame/models"
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
}

func (c *Config) defaults() {
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = models.MaxMessageBytes
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
}

// Store is what the server needs from the store.
type Store interface {
	GetDomainByName(ctx context.Context, raw string) (*models.Domain, error)
	RecordBounce(ctx context.Context, b models.Bounce) (bool, error)
	RecordComplaint(ctx context.Context, c models.Complaint) (bool, error)
}

// Server is the SMTP server.
type Server struct {
	store Store
	log   *slog.Logger
	cfg   Config
}

// New builds a server.
func New(store Store, log *slog.Logger, cfg Config) *Server {
	cfg.defaults()
	return &Server{store: store, log: log.With("component", "smtpd"), cfg: cfg}
}

// storeTimeout bounds each piece of store work a session asks for.
const storeTimeout = 30 * time.Second

// Serve accepts connections on ln until ctx ends, then stops accepting and
// gives open sessions ShutdownGrace to finish before closing them. A report
// being recorded when ctx ends is still recorded: its client is owed an
// answer.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	work := context.WithoutCancel(ctx)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, ctx: work, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	srv.Domain = s.cfg.Hostname
	srv.MaxMessageBytes = s.cfg.MaxMessageBytes
	srv.MaxRecipients = s.cfg.MaxRecipients
	srv.ReadTimeout = s.cfg.Timeout
	srv.WriteTimeout = s.cfg.Timeout
	srv.ErrorLog = errorLog{s.log}

	conns := trackConns(netutil.LimitListener(ln, s.cfg.MaxConnections))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(conns) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace, cancel := context.WithTimeout(work, s.cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(grace); err != nil {
		s.log.Info("hanging up on SMTP sessions that did not finish", "grace", s.cfg.ShutdownGrace)
		conns.hangUp()
	}
	conns.wait()
	return <-errc
}

// session is one SMTP connection. Without authentication it is the bounce
// mailbox: recipients must be bounce addresses, and the message a report.
type session struct {
	srv    *Server
	ctx    context.Context
	remote string
	from   string
	to     []mailer.BounceAddress
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from // reports come from <> or from a feedback loop: anyone
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
	defer cancel()
	addr, err := ss.srv.bounceRecipient(ctx, to)
	if err != nil {
		return err
	}
	ss.to = append(ss.to, addr)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	rep, parseErr := report.Parse(r)
	// Read what the parser left, so a message over the size limit is
	// refused (552) rather than acted on.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ss.ctx, storeTimeout)
	defer cancel()
	return ss.srv.deliverReport(ctx, ss.log(), ss.to, rep, parseErr)
}

func (ss *session) log() *slog.Logger {
	return ss.srv.log.With("remote", ss.remote, "from", ss.from)
}

func (ss *session) Reset() {
	ss.from, ss.to = "", nil
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
