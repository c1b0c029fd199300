package smtpd_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	netsmtp "net/smtp"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/internal/compose"
	"github.com/sesame-email/sesame/internal/smtpsink"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/store"
)

const smtpPassword = "Secret2026x"

// startSubmission is the server with its self-signed certificate, and the
// sender address with an SMTP password.
func startSubmission(t testing.TB, cfg smtpd.Config) *harness {
	t.Helper()
	return startSubmissionWith(t, cfg, testdb.Config(t))
}

func startSubmissionWith(t testing.TB, cfg smtpd.Config, dbcfg store.Config) *harness {
	t.Helper()
	cert, err := smtpd.Certificate("", "", t.TempDir(), testdb.BounceHost, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	h := startWith(t, cfg, dbcfg)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	h.clientTLS = &tls.Config{RootCAs: pool, ServerName: testdb.BounceHost}
	if err := h.st.Senders.SetSMTPPassword(ctx, h.sender.ID, smtpPassword); err != nil {
		t.Fatal(err)
	}
	return h
}

// login opens a session with go-smtp's client: STARTTLS, then AUTH PLAIN.
func (h *harness) login() *smtp.Client {
	h.t.Helper()
	c, err := smtp.DialStartTLS(h.addr, h.clientTLS)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	if err := c.Auth(sasl.NewPlainClient("", h.sender.Email, smtpPassword)); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// submit sends one message on c and returns the server's 250 text.
func submit(c *smtp.Client, from string, to []string, data string) (string, error) {
	if err := c.Mail(from, nil); err != nil {
		return "", err
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return "", err
		}
	}
	w, err := c.Data()
	if err != nil {
		return "", err
	}
	if _, err := w.Write([]byte(data)); err != nil {
		return "", err
	}
	res, err := w.CloseWithResponse()
	if err != nil {
		return "", err
	}
	return res.StatusText, nil
}

var queuedAs = regexp.MustCompile(`<([^>]+)> queued as ([0-9a-z]{26})$|^(?:2\.0\.0 )?Ok: queued as ([0-9a-z]{26})`)

// queuedUIDs reads a 250 reply: the uid of each recipient's message.
func queuedUIDs(t testing.TB, reply string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(reply, "\n") {
		m := queuedAs.FindStringSubmatch(line)
		switch {
		case m == nil:
		case m[1] != "":
			out[m[1]] = m[2]
		default:
			out[""] = m[3]
		}
	}
	return out
}

func (h *harness) counts() map[models.MessageStatus]int {
	h.t.Helper()
	c, err := h.st.Queue.CountMessagesByStatus(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

const letter = "From: \"Example News\" <news@example.test>\r\n" +
	"To: Ann <ann@dest.test>\r\n" +
	"Subject: Hello from SMTP\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Hello Ann,\r\n.. a line that starts with a dot.\r\n"

func TestSubmissionWithGoNetSMTP(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	host, _, _ := net.SplitHostPort(h.addr)
	c, err := netsmtp.Dial(h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH advertised before STARTTLS")
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("no STARTTLS")
	}
	if err := c.StartTLS(h.clientTLS); err != nil {
		t.Fatal(err)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN" {
		t.Errorf("AUTH after STARTTLS: %v %q", ok, mechs)
	}
	if ok, size := c.Extension("SIZE"); !ok || size != strconv.Itoa(content.MaxMessageBytes) {
		t.Errorf("SIZE %v %q", ok, size)
	}
	if err := c.Auth(netsmtp.PlainAuth("", h.sender.Email, smtpPassword, host)); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(h.sender.Email); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"ann@dest.test", "bob@dest.test", "ann@dest.test"} {
		if err := c.Rcpt(to); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(letter))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	// One message per recipient, however often it was named.
	if got := h.counts(); got[models.StatusQueued] != 2 || len(got) != 1 {
		t.Errorf("queued %v", got)
	}
}

func TestSubmissionRepliesWithTheMessageIDs(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.login()
	reply, err := submit(c, h.sender.Email, []string{"ann@dest.test"}, letter)
	if err != nil {
		t.Fatal(err)
	}
	uid := queuedUIDs(t, reply)[""]
	m := h.message(uid)
	if m.Status != models.StatusQueued || m.Recipient != "ann@dest.test" || m.FromEmail != "news@example.test" || m.FromName != "Example News" || m.Transactional {
		t.Errorf("queued %+v", m)
	}
	content, err := h.st.Queue.GetMessageContent(ctx, m.ContentID)
	if err != nil {
		t.Fatal(err)
	}
	// Stored as submitted, dot-stuffing undone.
	if string(content.Raw) != letter || content.Subject != "Hello from SMTP" {
		t.Errorf("stored %q (subject %q)", content.Raw, content.Subject)
	}

	// Headers are what the client made them: control characters, NUL
	// among them, and bytes that are no UTF-8 are kept as text both
	// databases store.
	reply, err = submit(c, h.sender.Email, []string{"ann@dest.test"},
		strings.Replace(letter, `"Example News"`, "=?utf-8?q?Caf=C3=A9=00=0ANews?=", 1))
	if err != nil {
		t.Fatal(err)
	}
	m = h.message(queuedUIDs(t, reply)[""])
	if m.FromName != "Café  News" {
		t.Errorf("display name %q", m.FromName)
	}
	reply, err = submit(c, h.sender.Email, []string{"ann@dest.test"},
		strings.Replace(letter, "Subject: Hello from SMTP", "Subject: caf\xe9\x00 au lait", 1))
	if err != nil {
		t.Fatal(err)
	}
	m = h.message(queuedUIDs(t, reply)[""])
	if c, _ := h.st.Queue.GetMessageContent(ctx, m.ContentID); c.Subject != "caf\uFFFD  au lait" {
		t.Errorf("subject %q", c.Subject)
	}

	// Several recipients: a line for each, the last naming the first.
	reply, err = submit(c, "alerts@example.test", []string{"ann@dest.test", "Bob@Dest.TEST"}, letter)
	if err != nil {
		t.Fatal(err)
	}
	uids := queuedUIDs(t, reply)
	if len(uids) != 3 || uids[""] != uids["ann@dest.test"] || uids["Bob@dest.test"] == "" || uids["Bob@dest.test"] == uids["ann@dest.test"] {
		t.Fatalf("reply %q: %v", reply, uids)
	}
	if !strings.HasSuffix(reply, "Ok: queued as "+uids[""]+" and 1 more, one message per recipient") {
		t.Errorf("reply %q", reply)
	}
	for to, uid := range uids {
		if m := h.message(uid); m.Status != models.StatusQueued || (to != "" && m.Recipient != to) || m.ContentID == content.ID {
			t.Errorf("%s: %+v", to, m)
		}
	}
}

// The whole way: STARTTLS, AUTH LOGIN, the message queued, then delivered
// by the engine DKIM-signed, as submitted otherwise.
func TestSubmissionIsDeliveredSigned(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c, err := smtp.DialTLS(h.tlsAddr, h.clientTLS) // implicit TLS this time
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewLoginClient(h.sender.Email, smtpPassword)); err != nil {
		t.Fatal(err)
	}
	withBcc := strings.Replace(letter, "Subject:", "Bcc: hidden@dest.test\r\nSubject:", 1)
	reply, err := submit(c, h.sender.Email, []string{"ann@dest.test", "hidden@dest.test"}, withBcc)
	if err != nil {
		t.Fatal(err)
	}
	uids := queuedUIDs(t, reply)

	sink := smtpsink.Start(t)
	engine := mailer.NewEngine(compose.Engine(h.st), &mailer.Relay{Addr: sink.Addr, TLS: "none"}, outgoing.NewBuilder(outgoing.NewLinks("https://sesame.example", []byte("k"))),
		h.clock, slog.New(slog.DiscardHandler), mailer.EngineConfig{Owner: "test", BounceHost: testdb.BounceHost, ConnIdle: 100 * time.Millisecond, RecordInterval: 10 * time.Millisecond})
	if err := engine.RunUntilIdle(ctx); err != nil {
		t.Fatal(err)
	}
	mails := sink.Mails()
	if len(mails) != 2 {
		t.Fatalf("the sink received %d messages", len(mails))
	}
	res, _ := mailer.NewResolver(h.dns.Addr, time.Second)
	for _, mail := range mails {
		uid := uids[mail.To[0]]
		if m := h.message(uid); m.Status != models.StatusDelivered {
			t.Errorf("%s: %s", mail.To[0], m.Status)
		}
		if mail.From != outgoing.EnvelopeFrom(uid, "example.test") {
			t.Errorf("envelope from %q", mail.From)
		}
		header, body, _ := bytes.Cut(mail.Data, []byte("\r\n\r\n"))
		if string(body) != "Hello Ann,\r\n.. a line that starts with a dot.\r\n" {
			t.Errorf("body %q", body)
		}
		for _, want := range []string{"Message-Id: <" + uid + "@example.test>", `From: "Example News" <news@example.test>`, "Subject: Hello from SMTP", "DKIM-Signature: "} {
			if !bytes.Contains(header, []byte(want)) {
				t.Errorf("%s lacks %q:\n%s", mail.To[0], want, header)
			}
		}
		if bytes.Contains(header, []byte("hidden@")) {
			t.Errorf("the Bcc header went out:\n%s", header)
		}
		v, err := dkim.VerifyWithOptions(bytes.NewReader(mail.Data), &dkim.VerifyOptions{
			LookupTXT: func(domain string) ([]string, error) { return res.LookupTXT(ctx, domain) },
		})
		if err != nil || len(v) != 1 || v[0].Err != nil || v[0].Domain != "example.test" {
			t.Errorf("DKIM: %+v %v", v, err)
		}
	}
}

func TestAuthNeedsTLS(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.raw(h.addr, false)
	ehlo := c.cmd("EHLO client.test")
	if strings.Contains(ehlo, "AUTH") || !strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO in clear text: %q", ehlo)
	}
	for _, cmd := range []string{"AUTH PLAIN " + plain("", h.sender.Email, smtpPassword), "AUTH LOGIN"} {
		if got := c.cmd(cmd); !strings.HasPrefix(got, "530 5.7.0 ") {
			t.Errorf("%s: %q", strings.Fields(cmd)[1], got)
		}
	}
	// Without AUTH, no relaying, whoever the sender claims to be.
	c.cmd("MAIL FROM:<" + h.sender.Email + ">")
	if got := c.cmd("RCPT TO:<ann@dest.test>"); !strings.HasPrefix(got, "550 5.7.1 ") {
		t.Errorf("relaying: %q", got)
	}
	// The implicit-TLS port offers AUTH at once.
	if ehlo := h.raw(h.tlsAddr, true).cmd("EHLO client.test"); !strings.Contains(ehlo, "AUTH PLAIN LOGIN") || strings.Contains(ehlo, "STARTTLS") {
		t.Errorf("EHLO with implicit TLS: %q", ehlo)
	}
	if h.counts()[models.StatusQueued] != 0 {
		t.Error("something was queued")
	}
}

func TestInsecureAuthForLocalTests(t *testing.T) {
	h := startSubmission(t, smtpd.Config{InsecureAuth: true})
	c, err := smtp.Dial(h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if !c.SupportsAuth("PLAIN") {
		t.Error("AUTH not offered in clear text")
	}
	if err := c.Auth(sasl.NewPlainClient("", h.sender.Email, smtpPassword)); err != nil {
		t.Fatal(err)
	}
	if _, err := submit(c, h.sender.Email, []string{"ann@dest.test"}, letter); err != nil {
		t.Fatal(err)
	}
}

func TestWrongPasswordsAreThrottled(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	// go-smtp's client hangs up on a failed AUTH, so a connection each.
	dial := func() *smtp.Client {
		c, err := smtp.DialStartTLS(h.addr, h.clientTLS)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	for i, auth := range []sasl.Client{
		sasl.NewPlainClient("ceo@example.test", h.sender.Email, smtpPassword), // acting for another: refused unchecked
		sasl.NewPlainClient("", h.sender.Email, "Wrong2026xx"),
		sasl.NewLoginClient(h.sender.Email, "Wrong2026xx"),
		sasl.NewPlainClient("", "nobody@example.test", smtpPassword),
		sasl.NewPlainClient("", strings.ToUpper(h.sender.Email), smtpPassword), // the local part is case-sensitive
		sasl.NewLoginClient(h.sender.Email, ""),
		sasl.NewPlainClient("", h.sender.Email, "Wrong2026yy"),
	} {
		var se *smtp.SMTPError
		if err := dial().Auth(auth); !errors.As(err, &se) || se.Code != 535 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 8}) {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	// Five failures for the address from this client (its case aside): now
	// even the right password waits, from this client.
	err := dial().Auth(sasl.NewPlainClient("", h.sender.Email, smtpPassword))
	if se := (*smtp.SMTPError)(nil); !errors.As(err, &se) || se.Code != 454 || !strings.Contains(se.Message, "try again after 09:15:00 UTC") {
		t.Errorf("while throttled: %v", err)
	}
	h.clock.Advance(16 * time.Minute)
	if err := dial().Auth(sasl.NewPlainClient("", h.sender.Email, smtpPassword)); err != nil {
		t.Errorf("after the window: %v", err)
	}
	if !strings.Contains(h.logs.String(), "SMTP authentication throttled") {
		t.Error("the throttle was not logged")
	}
}

func TestAuthLoginWithTheUserNameUpFront(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.raw(h.addr, false)
	c.starttls()
	if got := c.cmd("AUTH LOGIN " + b64(h.sender.Email)); got != "334 "+b64("Password:") {
		t.Fatalf("AUTH LOGIN with the user name: %q", got)
	}
	if got := c.cmd(b64(smtpPassword)); !strings.HasPrefix(got, "235 ") {
		t.Errorf("password: %q", got)
	}
	if got := c.cmd("AUTH LOGIN"); !strings.HasPrefix(got, "503 ") {
		t.Errorf("AUTH twice: %q", got)
	}
	// Nor may AUTH come in the middle of a transaction, even one from <>.
	other := h.raw(h.addr, false)
	other.starttls()
	other.cmd("MAIL FROM:<>")
	if got := other.cmd("AUTH PLAIN " + plain("", h.sender.Email, smtpPassword)); !strings.HasPrefix(got, "503 5.5.1 ") {
		t.Errorf("AUTH during a transaction: %q", got)
	}
	other.cmd("RSET")
	if got := other.cmd("AUTH PLAIN " + plain("", h.sender.Email, smtpPassword)); !strings.HasPrefix(got, "235 ") {
		t.Errorf("AUTH after RSET: %q", got)
	}
}

func TestSenderAddressesOutsideTheDomainAreRefused(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.login()
	for _, from := range []string{"ceo@bank.test", "news@sub.example.test", "", "news@example.test.evil"} {
		var se *smtp.SMTPError
		if err := c.Mail(from, nil); !errors.As(err, &se) || se.Code != 553 || se.EnhancedCode != (smtp.EnhancedCode{5, 7, 1}) {
			t.Errorf("MAIL FROM:<%s>: %v", from, err)
		}
	}
	for name, tc := range map[string]struct {
		data string
		want string
	}{
		"From of another domain":   {strings.Replace(letter, "news@example.test", "ceo@bank.test", 1), "550 From header refused: news@example.test may only send from addresses @example.test."},
		"Sender of another domain": {"Sender: ceo@bank.test\r\n" + letter, "550 Sender header refused: news@example.test may only send from addresses @example.test."},
		"two From headers":         {"From: ceo@bank.test\r\n" + letter, "550 Message refused: it has 2 From headers"},
		"no From header":           {strings.Replace(letter, "From:", "Reply-To:", 1), "550 Message refused: it has no From header"},
		"two authors":              {strings.Replace(letter, "<news@example.test>", "<news@example.test>, ceo@bank.test", 1), "550 Message refused: its From header must name exactly one address"},
		"no header":                {"Hi!\r\n\r\nbody\r\n", "550 Message refused: its header cannot be read"},
	} {
		_, err := submit(c, h.sender.Email, []string{"ann@dest.test"}, tc.data)
		var se *smtp.SMTPError
		if !errors.As(err, &se) || !strings.HasPrefix(strconv.Itoa(se.Code)+" "+se.Message, tc.want) {
			t.Errorf("%s: %v", name, err)
		}
		c.Reset()
	}
	if got := h.counts(); len(got) != 0 {
		t.Errorf("queued %v", got)
	}
	// Another address of the domain is fine, in MAIL FROM and in From; the
	// message is recorded as from the address its From header names.
	reply, err := submit(c, "bounces@example.test", []string{"ann@dest.test"}, strings.Replace(letter, `"Example News" <news@example.test>`, "Alerts <Alerts@EXAMPLE.test>", 1))
	if err != nil {
		t.Fatal(err)
	}
	if m := h.message(queuedUIDs(t, reply)[""]); m.FromEmail != "Alerts@example.test" || m.FromName != "Alerts" {
		t.Errorf("recorded from %q %q", m.FromName, m.FromEmail)
	}
}

func TestDeletedSenderStopsSending(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.login()
	if err := h.st.Senders.DeleteSender(ctx, h.sender.ID); err != nil {
		t.Fatal(err)
	}
	// The session knows the address for a few seconds, then reads it again.
	if _, err := submit(c, h.sender.Email, []string{"ann@dest.test"}, letter); err != nil {
		t.Errorf("right after the deletion: %v", err)
	}
	h.clock.Advance(10 * time.Second)
	var se *smtp.SMTPError
	if err := c.Mail(h.sender.Email, nil); !errors.As(err, &se) || se.Code != 550 || se.Message != "The sender address you authenticated as no longer exists" {
		t.Errorf("MAIL after the address was deleted: %v", err)
	}
}

func TestSubmissionLimits(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.login()
	if err := c.Mail(h.sender.Email, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("not an address@", nil); smtpCode(err) != 501 {
		t.Errorf("a bad address: %v", err)
	}
	for i := range 50 {
		if err := c.Rcpt("user"+strconv.Itoa(i)+"@dest.test", nil); err != nil {
			t.Fatalf("recipient %d: %v", i+1, err)
		}
	}
	if err := c.Rcpt("user50@dest.test", nil); smtpCode(err) != 452 {
		t.Errorf("recipient 51: %v", err)
	}
	c.Reset()

	// SIZE over the limit is refused at MAIL, a message over it after DATA;
	// so is one too big once Message-ID and Date are added.
	if err := c.Mail(h.sender.Email, &smtp.MailOptions{Size: content.MaxMessageBytes + 1}); smtpCode(err) != 552 {
		t.Errorf("SIZE over the limit: %v", err)
	}
	for _, size := range []int{content.MaxMessageBytes + 1, content.MaxRawBytes + 1} {
		big := letter + strings.Repeat(strings.Repeat("x", 98)+"\r\n", (size-len(letter))/100+1)
		if _, err := submit(c, h.sender.Email, []string{"ann@dest.test"}, big); smtpCode(err) != 552 {
			t.Errorf("%d bytes: %v", len(big), err)
		}
	}
	// Just under the limit is fine.
	fits := letter + strings.Repeat(strings.Repeat("x", 98)+"\r\n", (content.MaxRawBytes-len(letter))/100)
	if _, err := submit(c, h.sender.Email, []string{"ann@dest.test"}, fits); err != nil {
		t.Errorf("%d bytes: %v", len(fits), err)
	}
	if got := h.counts(); got[models.StatusQueued] != 1 {
		t.Errorf("queued %v", got)
	}
}

// SMTP smuggling: line ends other than CRLF around a dot, hoping some
// server on the way ends the message there and takes what follows as the
// next transaction. Here the data ends at CRLF.CRLF only, and a message
// with any bare CR or LF is refused whole.
func TestSmugglingIsRefused(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	c := h.raw(h.addr, false)
	c.starttls()
	if got := c.cmd("AUTH PLAIN " + plain("", h.sender.Email, smtpPassword)); !strings.HasPrefix(got, "235 ") {
		t.Fatal(got)
	}
	const first = "From: news@example.test\r\nTo: ann@dest.test\r\nSubject: first\r\n\r\nfirst"
	const smuggled = "MAIL FROM:<news@example.test>\r\nRCPT TO:<victim@dest.test>\r\nDATA\r\n" +
		"From: news@example.test\r\nSubject: smuggled\r\n\r\nsmuggled\r\n"
	for _, end := range []string{"\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\n.\r", "\r\n.\n\r\n"} {
		c.transaction("ann@dest.test")
		c.write(first + end + smuggled + ".\r\n")
		if got := c.reply(); !strings.HasPrefix(got, "550 5.5.2 ") {
			t.Errorf("%q: %q", end, got)
		}
		// One reply for the lot: nothing after it was taken as commands.
		if got := c.cmd("NOOP"); !strings.HasPrefix(got, "250 ") {
			t.Errorf("%q: then NOOP got %q", end, got)
		}
	}
	// BDAT carries the bytes as they are; the same rule holds.
	c.envelope("ann@dest.test")
	chunk := first + "\n.\n" + smuggled
	c.write("BDAT " + strconv.Itoa(len(chunk)) + " LAST\r\n" + chunk)
	if got := c.reply(); !strings.HasPrefix(got, "550 5.5.2 ") {
		t.Errorf("BDAT: %q", got)
	}
	if got := h.counts(); len(got) != 0 {
		t.Errorf("queued %v", got)
	}
	// "\r\n.\r" before other text: go-smtp drops the ".\r" as a stuffed
	// dot, so the rest is the body of the one message, for ann only.
	c.transaction("ann@dest.test")
	c.write(first + "\r\n.\r" + smuggled + ".\r\n")
	if got := c.reply(); !strings.HasPrefix(got, "250 2.0.0 Ok: queued as ") {
		t.Fatalf("%q", got)
	}
	m := h.message(strings.TrimPrefix(c.last, "250 2.0.0 Ok: queued as "))
	content, _ := h.st.Queue.GetMessageContent(ctx, m.ContentID)
	if got := h.counts(); got[models.StatusQueued] != 1 || m.Recipient != "ann@dest.test" || !bytes.HasSuffix(content.Raw, []byte("\r\nfirst\r\n"+smuggled)) {
		t.Errorf("queued %v, %s: %q", got, m.Recipient, content.Raw)
	}
}

func plain(identity, user, password string) string {
	return b64(identity + "\x00" + user + "\x00" + password)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// rawClient speaks SMTP byte by byte, for what real clients never send.
type rawClient struct {
	t    testing.TB
	h    *harness
	conn net.Conn
	r    *bufio.Reader
	last string // the last line of the last reply
}

func (h *harness) raw(addr string, implicitTLS bool) *rawClient {
	h.t.Helper()
	var conn net.Conn
	var err error
	if implicitTLS {
		conn, err = tls.Dial("tcp", addr, h.clientTLS)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { conn.Close() })
	c := &rawClient{t: h.t, h: h, conn: conn, r: bufio.NewReader(conn)}
	if greeting := c.reply(); !strings.HasPrefix(greeting, "220 ") {
		h.t.Fatalf("greeting %q", greeting)
	}
	return c
}

func (c *rawClient) write(s string) {
	c.t.Helper()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// reply reads one reply, all its lines.
func (c *rawClient) reply() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading a reply after %q: %v", lines, err)
		}
		line = strings.TrimRight(line, "\r\n")
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			c.last = line
			return strings.Join(lines, "\n")
		}
	}
}

func (c *rawClient) cmd(line string) string {
	c.t.Helper()
	c.write(line + "\r\n")
	return c.reply()
}

func (c *rawClient) starttls() {
	c.t.Helper()
	c.cmd("EHLO client.test")
	if got := c.cmd("STARTTLS"); !strings.HasPrefix(got, "220 ") {
		c.t.Fatalf("STARTTLS: %q", got)
	}
	tc := tls.Client(c.conn, c.h.clientTLS)
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	if got := c.cmd("EHLO client.test"); !strings.Contains(got, "AUTH PLAIN LOGIN") {
		c.t.Fatalf("EHLO after STARTTLS: %q", got)
	}
}

// envelope starts a message: MAIL and RCPT.
func (c *rawClient) envelope(to string) {
	c.t.Helper()
	for _, cmd := range []string{"MAIL FROM:<news@example.test>", "RCPT TO:<" + to + ">"} {
		if got := c.cmd(cmd); !strings.HasPrefix(got, "250 ") {
			c.t.Fatalf("%s: %q", cmd, got)
		}
	}
}

// transaction starts a message up to its data.
func (c *rawClient) transaction(to string) {
	c.t.Helper()
	c.envelope(to)
	if got := c.cmd("DATA"); !strings.HasPrefix(got, "354 ") {
		c.t.Fatalf("DATA: %q", got)
	}
}

// While delivery is the sandbox, a sender address of an unverified domain
// submits over SMTP like any other; with real delivery it is refused.
func TestSandboxSubmitsFromAnUnverifiedDomain(t *testing.T) {
	for _, sandbox := range []bool{true, false} {
		dbcfg := testdb.Config(t)
		dbcfg.Identity.Sandbox = true // to create the address; the server below decides
		setup := testdb.OpenConfig(t, dbcfg)
		if _, err := setup.Domains.AddDomain(ctx, "unverified.test", 1024); err != nil {
			t.Fatal(err)
		}
		sender, err := setup.Senders.CreateSender(ctx, "news@unverified.test", "News")
		if err != nil {
			t.Fatal(err)
		}
		if err := setup.Senders.SetSMTPPassword(ctx, sender.ID, smtpPassword); err != nil {
			t.Fatal(err)
		}
		dbcfg.Identity.Sandbox = sandbox
		h := startSubmissionWith(t, smtpd.Config{}, dbcfg)
		c, err := smtp.DialStartTLS(h.addr, h.clientTLS)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Auth(sasl.NewPlainClient("", "news@unverified.test", smtpPassword)); err != nil {
			t.Fatal(err)
		}
		reply, err := submit(c, "news@unverified.test", []string{"ann@dest.test"}, strings.ReplaceAll(letter, "news@example.test", "news@unverified.test"))
		switch {
		case sandbox && (err != nil || len(queuedUIDs(t, reply)) != 1):
			t.Errorf("sandbox: %q %v", reply, err)
		case !sandbox && (err == nil || !strings.Contains(err.Error(), "not verified")):
			t.Errorf("real delivery: %q %v", reply, err)
		}
	}
}
