package smtpd_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	netsmtp "net/smtp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/reportfixtures"
	"github.com/sesame-email/sesame/internal/syncbuf"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/store"
)

var ctx = context.Background()

// harness is a store with a verified sender and the SMTP server on a
// loopback port in front of it.
type harness struct {
	t       testing.TB
	st      *store.Store
	clock   *clocktest.Clock
	dns     *dnstest.Server
	sender  *identity.SenderAddress
	addr    string
	tlsAddr string // implicit TLS, when the server has a certificate
	// clientTLS trusts the server's certificate, as a client configured
	// for it would.
	clientTLS *tls.Config
	stop      context.CancelFunc
	stopped   sync.Once
	done      chan error
	logs      *syncbuf.Buffer
}

func start(t testing.TB, cfg smtpd.Config) *harness {
	t.Helper()
	return startWith(t, cfg, testdb.Config(t))
}

// startWith is start on the database dbcfg names.
func startWith(t testing.TB, cfg smtpd.Config, dbcfg store.Config) *harness {
	t.Helper()
	clock := clocktest.New(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	dbcfg.Clock = clock
	st := testdb.OpenConfig(t, dbcfg)
	h := &harness{t: t, st: st, clock: clock, dns: dnstest.Start(t), done: make(chan error, 1), logs: &syncbuf.Buffer{}}
	h.sender = fixtures.Sender(t, st, h.dns, "news@example.test", "Example News")
	ln := listen(t)
	h.addr = ln.Addr().String()
	var tlsLn net.Listener
	if cfg.TLS != nil {
		tlsLn = listen(t)
		h.tlsAddr = tlsLn.Addr().String()
	}
	cfg.Hostname = testdb.BounceHost
	cfg.Clock = clock
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	serveCtx, stop := context.WithCancel(ctx)
	h.stop = stop
	go func() { h.done <- smtpd.New(compose.SMTP(st), log, cfg).Serve(serveCtx, ln, tlsLn) }()
	t.Cleanup(func() {
		h.shutdown()
		if strings.Contains(h.logs.String(), "level=ERROR") {
			t.Errorf("errors logged:\n%s", h.logs)
		}
	})
	return h
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// shutdown stops the server and waits for it to return.
func (h *harness) shutdown() {
	h.t.Helper()
	h.stopped.Do(func() {
		h.stop()
		select {
		case err := <-h.done:
			if err != nil {
				h.t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			h.t.Error("the server did not stop")
		}
	})
}

// sent makes messages that went out to each recipient with the status given.
func (h *harness) sent(outcome map[string]models.MessageStatus) map[string]*queue.Message {
	return fixtures.Sent(h.t, h.st, h.sender, false, outcome)
}

// send hands a message to the server as a mail system would, with Go's
// own SMTP client.
func (h *harness) send(from string, to []string, data []byte) error {
	return netsmtp.SendMail(h.addr, nil, from, to, data)
}

// dial opens a session with go-smtp's client, to look at replies one by one.
func (h *harness) dial() *smtp.Client {
	h.t.Helper()
	c, err := smtp.Dial(h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := c.Hello("mx.dest.test"); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

func (h *harness) message(uid string) *queue.Message {
	h.t.Helper()
	m, err := h.st.Queue.GetMessageByUID(ctx, uid)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// events lists a message's events after it was sent, as "type: detail".
func (h *harness) events(m *queue.Message) []string {
	h.t.Helper()
	events, err := h.st.Queue.MessageEvents(ctx, m.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.Type != "queued" {
			out = append(out, e.Type+": "+e.Detail)
		}
	}
	return out[1:] // after the delivery attempt
}

func (h *harness) suppressed(email string) (audience.SuppressionReason, bool) {
	h.t.Helper()
	found, err := h.st.Suppressions.SuppressionsOf(ctx, []string{email})
	if err != nil {
		h.t.Fatal(err)
	}
	s, ok := found[email]
	return s.Reason, ok
}

func smtpCode(err error) int {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func TestRecipientsOtherThanBounceAddressesAreRefused(t *testing.T) {
	h := start(t, smtpd.Config{})
	m := h.sent(map[string]models.MessageStatus{"bob@dest.test": models.StatusDelivered})["bob@dest.test"]
	c := h.dial()
	if err := c.Mail("spammer@evil.test", nil); err != nil {
		t.Fatal(err)
	}
	for to, want := range map[string]string{
		"bob@dest.test":                            "550 5.7.1",
		"news@example.test":                        "550 5.7.1",
		"bounce+" + m.UID + "@example.test":        "550 5.7.1", // not the bounce domain
		"bounce+" + m.UID + "@bounce.unknown.test": "550 5.7.1", // not a domain Sesame sends for
		"nobody@bounce.example.test":               "550 5.1.1",
		"bounce+tooshort@bounce.example.test":      "550 5.1.1",
	} {
		err := c.Rcpt(to, nil)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != parseEnhanced(want) {
			t.Errorf("RCPT %s: %v, want %s", to, err, want)
		}
	}
	if _, err := c.Data(); smtpCode(err) != 502 {
		t.Errorf("DATA without an accepted recipient: %v", err)
	}
	// The same through Go's client: nothing is relayed.
	if err := h.send("spammer@evil.test", []string{"victim@dest.test"}, []byte("Subject: hi\r\n\r\nbuy\r\n")); err == nil || !strings.Contains(err.Error(), "Relaying denied") {
		t.Errorf("relay: %v", err)
	}
}

func parseEnhanced(s string) smtp.EnhancedCode {
	var ec smtp.EnhancedCode
	code := strings.Fields(s)[1]
	for i, part := range strings.SplitN(code, ".", 3) {
		for _, r := range part {
			ec[i] = ec[i]*10 + int(r-'0')
		}
	}
	return ec
}

func TestBounceAddressesAreAccepted(t *testing.T) {
	h := start(t, smtpd.Config{})
	m := h.sent(map[string]models.MessageStatus{"bob@dest.test": models.StatusDelivered})["bob@dest.test"]
	c := h.dial()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{
		outgoing.EnvelopeFrom(m.UID, "example.test"),
		strings.ToUpper(outgoing.EnvelopeFrom(m.UID, "example.test")),
		"fbl@bounce.example.test", "postmaster@bounce.example.test", "abuse@bounce.example.test",
	} {
		if err := c.Rcpt(to, nil); err != nil {
			t.Errorf("RCPT %s: %v", to, err)
		}
	}
}

func TestOversizeMessagesAreRefused(t *testing.T) {
	h := start(t, smtpd.Config{MaxMessageBytes: 64 << 10})
	m := h.sent(map[string]models.MessageStatus{"bob@dest.test": models.StatusDelivered})["bob@dest.test"]
	dsn := reportfixtures.Load(t, "postfix-hard.eml", m.UID, "example.test", "bob@dest.test")
	padded := bytes.Replace(dsn, []byte("Hello there."), bytes.Repeat([]byte("0123456789abcdef\r\n"), 5000), 1)
	err := h.send("", []string{outgoing.EnvelopeFrom(m.UID, "example.test")}, padded)
	if err == nil || !strings.Contains(err.Error(), "552") {
		t.Fatalf("oversize DSN: %v", err)
	}
	if got := h.message(m.UID); got.Status != models.StatusDelivered {
		t.Errorf("an oversize report was acted on: %s", got.Status)
	}
	// A declared size over the limit is refused before the data.
	c := h.dial()
	if err := c.Mail("", &smtp.MailOptions{Size: 65 << 10}); smtpCode(err) != 552 {
		t.Errorf("MAIL with SIZE over the limit: %v", err)
	}
}

func TestTooManyRecipients(t *testing.T) {
	h := start(t, smtpd.Config{MaxRecipients: 2})
	c := h.dial()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{0, 0, 452} {
		if err := c.Rcpt("fbl@bounce.example.test", nil); smtpCode(err) != want {
			t.Errorf("RCPT %d: %v", i+1, err)
		}
	}
}

func TestGarbageNeverBreaksTheServer(t *testing.T) {
	h := start(t, smtpd.Config{})
	m := h.sent(map[string]models.MessageStatus{"bob@dest.test": models.StatusDelivered})["bob@dest.test"]
	verp := outgoing.EnvelopeFrom(m.UID, "example.test")
	// Messages that are no report, or a broken one, are accepted and dropped.
	for name, data := range map[string]string{
		"plain-text bounce": "From: MAILER-DAEMON@old.test\r\nSubject: failure notice\r\n\r\nSorry, I couldn't deliver.\r\n",
		"auto-reply":        "Subject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway until Monday.\r\n",
		"binary":            "\x00\x01\x02\xff\xfe\r\n\r\n\x00\x80",
		"header only":       "Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n",
		"broken multipart":  "Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n\xff\xfe: :\r\n",
	} {
		if err := h.send("", []string{verp}, []byte(data)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Protocol garbage gets errors, then the connection is closed.
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	greeting, _ := r.ReadString('\n')
	if !strings.HasPrefix(greeting, "220 "+testdb.BounceHost) {
		t.Errorf("greeting %q", greeting)
	}
	for _, line := range []string{"\x00\xff\xfe", "MAIL FROM:<>", "RCPT TO:<" + verp + ">", "HELO", "EHLO x\x00y", strings.Repeat("A", 5000)} {
		if _, err := conn.Write([]byte(line + "\r\n")); err != nil {
			break
		}
	}
	rest, _ := readAll(conn, r)
	if !strings.Contains(rest, "500") && !strings.Contains(rest, "502") {
		t.Errorf("answers to garbage: %q", rest)
	}
	if got := h.message(m.UID); got.Status != models.StatusDelivered {
		t.Errorf("garbage changed the message: %s", got.Status)
	}
	// The server still serves.
	dsn := reportfixtures.Load(t, "postfix-hard.eml", m.UID, "example.test", "bob@dest.test")
	if err := h.send("", []string{verp}, dsn); err != nil {
		t.Fatal(err)
	}
	if got := h.message(m.UID); got.Status != models.StatusBounced {
		t.Errorf("after the garbage, a DSN left the message %s", got.Status)
	}
}

// readAll reads what the server says until it hangs up.
func readAll(conn net.Conn, r *bufio.Reader) (string, error) {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
	}
}

func TestIdleSessionsTimeOut(t *testing.T) {
	h := start(t, smtpd.Config{Timeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	said, err := readAll(conn, bufio.NewReader(conn))
	if !strings.Contains(said, "421 4.4.2") {
		t.Errorf("an idle client was told %q (%v)", said, err)
	}
}

func TestShutdownLetsTheOpenTransactionFinish(t *testing.T) {
	h := start(t, smtpd.Config{})
	m := h.sent(map[string]models.MessageStatus{"bob@dest.test": models.StatusDelivered})["bob@dest.test"]
	c := h.dial()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(outgoing.EnvelopeFrom(m.UID, "example.test"), nil); err != nil {
		t.Fatal(err)
	}
	h.stop()
	// No new connections once the server is told to stop…
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", h.addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after the stop")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// …but the open transaction completes and is recorded.
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(reportfixtures.Load(t, "postfix-hard.eml", m.UID, "example.test", "bob@dest.test"))
	if err := w.Close(); err != nil {
		t.Fatalf("the report sent during shutdown: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	h.shutdown()
	if got := h.message(m.UID); got.Status != models.StatusBounced {
		t.Errorf("status %s", got.Status)
	}
}

func TestShutdownHangsUpOnSessionsThatDoNotFinish(t *testing.T) {
	h := start(t, smtpd.Config{ShutdownGrace: 100 * time.Millisecond})
	c := h.dial()
	if err := c.Mail("", nil); err != nil {
		t.Fatal(err)
	}
	silent, err := net.Dial("tcp", h.addr) // connected, never says HELO
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	h.shutdown() // returns once the grace is over, though neither client quits
	if err := c.Noop(); err == nil {
		t.Error("a session survived the shutdown")
	}
	if said, _ := readAll(silent, bufio.NewReader(silent)); !strings.HasPrefix(said, "220 ") || strings.Count(said, "\n") != 1 {
		t.Errorf("the silent client was told %q", said)
	}
}
