package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/sesame-email/sesame/mailer/smtpclient"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// Delivery is one message on its way to one recipient.
type Delivery struct {
	Message  *queue.Message
	From     string // the envelope sender (VERP)
	Data     []byte
	SourceIP string // "" for the host's default route
	Helo     string
}

// Outcome is what became of a delivery attempt.
type Outcome struct {
	Status models.MessageStatus // delivered, deferred or bounced
	Reply  string
	// Throttle: the destination told this source IP to slow down, or could
	// not be reached; nothing more goes there from it for a while
	// (throttlesDestination).
	Throttle bool
	// KeepCopy: the sandbox transport keeps the message instead of sending it.
	KeepCopy bool
	// Broken: the connection must not be reused.
	Broken bool
}

// Transport moves messages to their destination. Messages for one
// destination share connections, at most a few at a time.
type Transport interface {
	// Destination names where a delivery goes: the recipient's domain for
	// direct delivery, the smarthost for a relay.
	Destination(d *Delivery) string
	// Open connects to the destination, from the delivery's source IP.
	Open(ctx context.Context, dest string, d *Delivery) (Session, error)
}

// Session is one connection to a destination.
type Session interface {
	Send(ctx context.Context, d *Delivery) Outcome
	Close() error
}

// OpenError is a failure to reach a destination. Permanent ones (a domain
// that does not exist or accepts no mail) bounce; the rest are retried.
type OpenError struct {
	Permanent bool
	// Throttle: the destination refused or timed out the connection, or
	// turned it away as too busy.
	Throttle bool
	Reply    string
}

func (e *OpenError) Error() string { return e.Reply }

// ParseDelivery reads SESAME_DELIVERY: sandbox, mx, or
// relay://host:port?user=&pass=&tls=starttls|implicit|none.
func ParseDelivery(spec string, dns identity.DNSLookup) (Transport, error) {
	switch {
	case spec == "" || spec == "sandbox":
		return Sandbox{}, nil
	case spec == "mx":
		return &MX{DNS: dns, Port: 25}, nil
	case strings.HasPrefix(spec, "relay://"):
		u, err := url.Parse(spec)
		if err != nil || u.Host == "" || u.Port() == "" {
			return nil, errors.New("want relay://host:port")
		}
		r := &Relay{Addr: u.Host, User: u.Query().Get("user"), Pass: u.Query().Get("pass"), TLS: u.Query().Get("tls")}
		if r.TLS == "" {
			r.TLS = "starttls"
		}
		if r.TLS != "starttls" && r.TLS != "implicit" && r.TLS != "none" {
			return nil, errors.New("tls= must be starttls, implicit or none")
		}
		return r, nil
	}
	return nil, errors.New("must be sandbox, mx, or relay://host:port")
}

// Sandbox keeps every message in the console's Sandbox mailbox instead of
// sending it: the default, so a new installation never mails the world.
type Sandbox struct{}

func (Sandbox) Destination(*Delivery) string { return "sandbox" }
func (Sandbox) Open(context.Context, string, *Delivery) (Session, error) {
	return sandboxSession{}, nil
}

type sandboxSession struct{}

func (sandboxSession) Send(context.Context, *Delivery) Outcome {
	return Outcome{Status: models.StatusDelivered, Reply: "250 kept in the sandbox mailbox", KeepCopy: true}
}
func (sandboxSession) Close() error { return nil }

// Relay hands every message to one smarthost.
type Relay struct {
	Addr string
	User string
	Pass string
	TLS  string // starttls, implicit or none
}

func (r *Relay) Destination(*Delivery) string { return r.Addr }

func (r *Relay) Open(ctx context.Context, dest string, d *Delivery) (Session, error) {
	host, _, _ := net.SplitHostPort(r.Addr)
	conn, err := dialFrom(ctx, d.SourceIP, r.Addr)
	if err != nil {
		return nil, &OpenError{Throttle: true, Reply: "cannot connect to the relay " + r.Addr + ": " + err.Error()}
	}
	tlsConf := &tls.Config{ServerName: host}
	if r.TLS == "implicit" {
		tc := tls.Client(conn, tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, &OpenError{Reply: "TLS with the relay failed: " + err.Error()}
		}
		conn = tc
	}
	c, err := smtpclient.New(ctx, conn, 2*time.Minute)
	if err != nil {
		return nil, openReplyError(err)
	}
	fail := func(err error) (Session, error) {
		c.Close()
		return nil, openReplyError(err)
	}
	if err := c.Hello(d.Helo); err != nil {
		return fail(err)
	}
	if r.TLS == "starttls" {
		if err := c.StartTLS(tlsConf); err != nil {
			c.Close()
			return nil, &OpenError{Reply: "STARTTLS with the relay failed: " + err.Error()}
		}
		if err := c.Hello(d.Helo); err != nil {
			return fail(err)
		}
	}
	if r.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", r.User, r.Pass)); err != nil {
			return fail(err)
		}
	}
	return &smtpSession{c: c}, nil
}

// MX delivers straight to each recipient domain's mail servers.
type MX struct {
	DNS  identity.DNSLookup
	Port int // 25; tests use another

	mu    sync.Mutex
	cache map[string]mxEntry
	noTLS map[string]time.Time // hosts whose STARTTLS failed, until when
}

type mxEntry struct {
	hosts   []string
	err     error
	expires time.Time
}

func (m *MX) Destination(d *Delivery) string { return d.Message.RecipientDomain }

// hosts are the servers to try for domain: its MX hosts in preference
// order, or the domain itself when it has no MX (RFC 5321 section 5.1).
// A null MX (RFC 7505) means the domain accepts no mail.
func (m *MX) hosts(ctx context.Context, domain string) ([]string, error) {
	m.mu.Lock()
	if e, ok := m.cache[domain]; ok && time.Now().Before(e.expires) {
		m.mu.Unlock()
		return e.hosts, e.err
	}
	m.mu.Unlock()
	var hosts []string
	mxs, err := m.DNS.LookupMX(ctx, domain)
	switch {
	case err == nil:
		for _, mx := range mxs {
			h := strings.TrimSuffix(mx.Host, ".")
			if h == "" && len(mxs) == 1 {
				err = &OpenError{Permanent: true, Reply: "550 5.1.10 " + domain + " accepts no mail (null MX)"}
				break
			}
			hosts = append(hosts, h)
		}
	case errors.Is(err, identity.ErrNoRecords):
		if _, aerr := m.DNS.LookupIP(ctx, domain); aerr == nil {
			hosts, err = []string{domain}, nil
		} else if errors.Is(aerr, identity.ErrNoRecords) {
			err = &OpenError{Permanent: true, Reply: "550 5.1.2 " + domain + " has no mail server (no MX or address record)"}
		} else {
			err = &OpenError{Reply: "DNS lookup of " + domain + " failed: " + aerr.Error()}
		}
	default:
		err = &OpenError{Reply: "MX lookup of " + domain + " failed: " + err.Error()}
	}
	ttl := 5 * time.Minute
	if err != nil {
		ttl = time.Minute
	}
	m.mu.Lock()
	if m.cache == nil {
		m.cache = map[string]mxEntry{}
	}
	m.cache[domain] = mxEntry{hosts: hosts, err: err, expires: time.Now().Add(ttl)}
	m.mu.Unlock()
	return hosts, err
}

func (m *MX) Open(ctx context.Context, dest string, d *Delivery) (Session, error) {
	hosts, err := m.hosts(ctx, dest)
	if err != nil {
		return nil, err
	}
	var last error = &OpenError{Reply: "no mail server of " + dest + " answered"}
	for _, host := range hosts {
		s, err := m.openHost(ctx, host, d)
		if err == nil {
			return s, nil
		}
		last = err
	}
	return nil, last
}

// openHost connects to one mail server, trying its addresses in turn. TLS
// is opportunistic: a server that offers STARTTLS gets it (unverified, as
// between MTAs), one that does not, or whose TLS fails, gets the message in
// clear rather than not at all. A failed handshake leaves the connection
// unusable, so a host whose TLS failed is remembered for an hour and
// reached in clear at once.
func (m *MX) openHost(ctx context.Context, host string, d *Delivery) (Session, error) {
	ips, err := m.DNS.LookupIP(ctx, host)
	if err != nil {
		return nil, &OpenError{Reply: "cannot resolve the mail server " + host + ": " + err.Error()}
	}
	var last error
	for _, ip := range ips {
		if (ip.To4() == nil) != (net.ParseIP(d.SourceIP).To4() == nil) && d.SourceIP != "" {
			continue // a socket bound to an IPv4 address cannot reach IPv6, and back
		}
		s, err := m.openAddr(ctx, host, net.JoinHostPort(ip.String(), strconv.Itoa(m.Port)), d)
		if err == nil {
			return s, nil
		}
		last = err
	}
	if last == nil {
		last = &OpenError{Reply: "no address of " + host + " is reachable from " + d.SourceIP}
	}
	return nil, last
}

func (m *MX) openAddr(ctx context.Context, host, addr string, d *Delivery) (Session, error) {
	conn, err := dialFrom(ctx, d.SourceIP, addr)
	if err != nil {
		return nil, &OpenError{Throttle: true, Reply: "cannot connect to " + addr + ": " + err.Error()}
	}
	c, err := smtpclient.New(ctx, conn, 5*time.Minute)
	if err != nil {
		return nil, openReplyError(err)
	}
	if err := c.Hello(d.Helo); err != nil {
		c.Close()
		return nil, openReplyError(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !m.tlsFailed(host) {
		err := c.StartTLS(&tls.Config{ServerName: host, InsecureSkipVerify: true}) // #nosec G402: opportunistic TLS between MTAs
		if err == nil {
			err = c.Hello(d.Helo)
		}
		if err != nil {
			c.Close()
			m.rememberTLSFailure(host)
			return m.openAddr(ctx, host, addr, d)
		}
	}
	return &smtpSession{c: c}, nil
}

func (m *MX) tlsFailed(host string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	until, ok := m.noTLS[host]
	return ok && time.Now().Before(until)
}

func (m *MX) rememberTLSFailure(host string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.noTLS == nil {
		m.noTLS = map[string]time.Time{}
	}
	m.noTLS[host] = time.Now().Add(time.Hour)
}

// dialFrom connects to addr from source (an IP, or "" for the default route).
func dialFrom(ctx context.Context, source, addr string) (net.Conn, error) {
	dialer := net.Dialer{Timeout: 30 * time.Second}
	if source != "" {
		ip := net.ParseIP(source)
		if ip == nil {
			return nil, fmt.Errorf("bad source address %q", source)
		}
		dialer.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return dialer.DialContext(ctx, "tcp", addr)
}

func openReplyError(err error) error {
	out := classify(err)
	return &OpenError{Permanent: out.Status == models.StatusBounced, Throttle: out.Throttle, Reply: out.Reply}
}

// smtpSession sends over one SMTP connection, one transaction after another.
type smtpSession struct {
	c *smtpclient.Client
}

func (s *smtpSession) Send(ctx context.Context, d *Delivery) Outcome {
	reply, err := s.c.Send(d.From, d.Message.Recipient, d.Data)
	if err != nil {
		return classify(err)
	}
	return Outcome{Status: models.StatusDelivered, Reply: "250 " + reply}
}

func (s *smtpSession) Close() error {
	_ = s.c.Quit()
	return s.c.Close()
}

// classify turns an SMTP error into an outcome. 5xx bounces. Any other
// reply defers this message only, with its own retry: greylisting, a full
// mailbox, a temporary local problem are about one message or recipient,
// and the connection goes on to the next message. The destination is
// throttled only when it says so: 421 (it is closing the connection), a
// reply that the sender is going too fast (sendingTooFast), or a connection
// that timed out. Any other broken connection defers its message and is
// discarded.
func classify(err error) Outcome {
	var se *smtpclient.Error
	if !errors.As(err, &se) {
		var ne net.Error
		timeout := errors.As(err, &ne) && ne.Timeout()
		return Outcome{Status: models.StatusDeferred, Reply: "connection failed: " + err.Error(), Broken: true, Throttle: timeout}
	}
	reply := se.Error()
	switch {
	case se.Code >= 500:
		return Outcome{Status: models.StatusBounced, Reply: reply}
	case se.Code == 421:
		return Outcome{Status: models.StatusDeferred, Reply: reply, Throttle: true, Broken: true}
	default:
		return Outcome{Status: models.StatusDeferred, Reply: reply, Throttle: sendingTooFast(se.Text)}
	}
}

// Words of 4xx replies about the sender's pace (Gmail's 4.7.28, "rate
// limit", "too many messages") and of greylisting, which is about one
// message however it is worded ("please try again later").
var (
	tooFastWords  = []string{"4.7.28", "rate limit", "ratelimit", "rate-limit", "too many messages", "too many connections", "too many concurrent", "unusual rate", "throttl", "slow down"}
	greylistWords = []string{"greylist", "graylist", "grey-list", "gray-list", "grey list", "gray list"}
)

// sendingTooFast says whether a 4xx reply tells the sender to slow down,
// rather than refusing one message for now.
func sendingTooFast(text string) bool {
	t := strings.ToLower(text)
	return !containsAny(t, greylistWords) && containsAny(t, tooFastWords)
}

func containsAny(s string, words []string) bool {
	return slices.ContainsFunc(words, func(w string) bool { return strings.Contains(s, w) })
}
