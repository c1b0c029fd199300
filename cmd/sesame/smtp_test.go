package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	netsmtp "net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/reportfixtures"
	"github.com/sesame-email/sesame/internal/swaks"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/audience"
	"github.com/sesame-email/sesame/models/queue"
)

// freeAddr is a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func serveVars(t *testing.T, httpAddr, smtpAddr string) map[string]string {
	dbcfg := testdb.Config(t)
	return map[string]string{
		"SESAME_DATA_DIR": dbcfg.DataDir, "DATABASE_URL": dbcfg.DatabaseURL,
		"SESAME_HTTP_ADDR": httpAddr, "SESAME_SMTP_ADDR": smtpAddr, "SESAME_BOUNCE_HOST": testdb.BounceHost,
		"SESAME_ADMIN_PASSWORD": "admin password 1",
	}
}

// startServe runs `sesame serve` until ctx ends, and returns once it is up.
func startServe(t *testing.T, ctx context.Context, vars map[string]string) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, env(vars), io.Discard, io.Discard) }()
	// Up once the console answers: the SMTP server starts before it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get("http://" + vars["SESAME_HTTP_ADDR"] + "/healthz")
		if err == nil {
			res.Body.Close()
			return done
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never came up: %v", err)
		}
	}
}

func TestServeRunsTheSMTPServerUntilTheContextEnds(t *testing.T) {
	httpAddr, smtpAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startServe(t, ctx, serveVars(t, httpAddr, smtpAddr))
	c, err := smtp.Dial(smtpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("mx.dest.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("spammer@evil.test", nil); err != nil {
		t.Fatal(err)
	}
	var se *smtp.SMTPError
	if err := c.Rcpt("victim@dest.test", nil); !errors.As(err, &se) || se.Code != 550 {
		t.Errorf("relaying: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop with its context")
	}
	if _, err := smtp.Dial(smtpAddr); err == nil {
		t.Error("the SMTP server still listens after serve returned")
	}
}

func TestServeNamesAnSMTPAddressItCannotListenOn(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	err = run(context.Background(), []string{"serve"}, env(serveVars(t, freeAddr(t), taken.Addr().String())), io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "SESAME_SMTP_ADDR: cannot listen") {
		t.Errorf("serve with the SMTP port taken: %v", err)
	}
	vars := serveVars(t, freeAddr(t), freeAddr(t))
	vars["SESAME_SMTPS_ADDR"] = taken.Addr().String()
	err = run(context.Background(), []string{"serve"}, env(vars), io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "SESAME_SMTPS_ADDR: cannot listen") {
		t.Errorf("serve with the SMTPS port taken: %v", err)
	}
}

func TestServeWithTheOperatorsCertificateAndImplicitTLS(t *testing.T) {
	certDir := t.TempDir()
	if _, err := smtpd.Certificate("", "", certDir, "smtp.operator.test", time.Now()); err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(certDir, smtpd.SelfSignedCertFile), filepath.Join(certDir, smtpd.SelfSignedKeyFile)
	httpAddr, smtpAddr, smtpsAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	vars := serveVars(t, httpAddr, smtpAddr)
	vars["SESAME_TLS_CERT"], vars["SESAME_TLS_KEY"], vars["SESAME_SMTPS_ADDR"] = certFile, keyFile, smtpsAddr

	bad := maps.Clone(vars)
	bad["SESAME_TLS_KEY"] = filepath.Join(certDir, "missing.key")
	if err := run(context.Background(), []string{"serve"}, env(bad), io.Discard, io.Discard); err == nil || !strings.HasPrefix(err.Error(), "SESAME_TLS_CERT: cannot load") {
		t.Errorf("a missing key file: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startServe(t, ctx, vars)
	trust := trusting(t, certFile, "smtp.operator.test") // the operator's name, not SESAME_BOUNCE_HOST
	c, err := smtp.DialStartTLS(smtpAddr, trust)
	if err != nil {
		t.Fatalf("STARTTLS with the operator's certificate: %v", err)
	}
	c.Close()
	conn, err := tls.Dial("tcp", smtpsAddr, trust)
	if err != nil {
		t.Fatalf("implicit TLS: %v", err)
	}
	greeting := make([]byte, 64)
	n, _ := conn.Read(greeting)
	conn.Close()
	if !strings.HasPrefix(string(greeting[:n]), "220 "+testdb.BounceHost+" ESMTP") {
		t.Errorf("greeting over implicit TLS: %q", greeting[:n])
	}
	if _, err := os.Stat(filepath.Join(vars["SESAME_DATA_DIR"], smtpd.SelfSignedCertFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a self-signed certificate was made all the same: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// A message delivered by the running app, then bounced by the receiver:
// the DSN reaches the app's SMTP server and the message is bounced.
func TestAsynchronousBounceThroughTheApp(t *testing.T) {
	a := startApp(t)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@example.test", "News")
	msgs, err := a.store.Queue.Enqueue(context.Background(), queue.EnqueueRequest{Sender: sender,
		Content: queue.MessageContent{Subject: "Hello", Text: "Hello there."}, To: []queue.Addressee{{Email: "gone@dest.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := &msgs[0]
	m = a.delivered(t, m.UID)
	dsn := reportfixtures.Load(t, "postfix-hard.eml", m.UID, "example.test", m.Recipient)
	c, err := smtp.DialStartTLS(a.SMTPAddr, a.clientTLS(t)) // as a receiving MTA would, opportunistically
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("", []string{outgoing.EnvelopeFrom(m.UID, "example.test")}, bytes.NewReader(dsn)); err != nil {
		t.Fatal(err)
	}
	m, _ = a.store.Queue.GetMessageByUID(context.Background(), m.UID)
	found, _ := a.store.Suppressions.SuppressionsOf(context.Background(), []string{m.Recipient})
	if m.Status != models.StatusBounced || found[m.Recipient].Reason != audience.ReasonHardBounce {
		t.Errorf("after the DSN: %s, suppression %+v", m.Status, found[m.Recipient])
	}
}

// delivered waits until the app has delivered message uid.
func (a *testApp) delivered(t *testing.T, uid string) *queue.Message {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m, err := a.store.Queue.GetMessageByUID(context.Background(), uid)
		if err == nil && m.Status == models.StatusDelivered {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v %v", m, err)
		}
	}
}

// clientTLS trusts the certificate the app made in its data directory, as
// a client set up for this Sesame would.
func (a *testApp) clientTLS(t *testing.T) *tls.Config {
	t.Helper()
	return trusting(t, filepath.Join(a.cfg.DataDir, smtpd.SelfSignedCertFile), testdb.BounceHost)
}

func trusting(t *testing.T, certFile, serverName string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("no certificate in %s", certFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName}
}

// sandbox is what the sandbox kept, by recipient, each message's DKIM
// signature checked against the domain's published key.
func (a *testApp) sandbox(t *testing.T) map[string][]byte {
	t.Helper()
	page, err := a.store.Sandbox.SandboxPage(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := mailer.NewResolver(a.DNS.Addr, time.Second)
	out := map[string][]byte{}
	for _, s := range page {
		m, err := a.store.Sandbox.GetSandboxMessage(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Raw = m.Raw
		v, err := dkim.VerifyWithOptions(bytes.NewReader(s.Raw), &dkim.VerifyOptions{
			LookupTXT: func(domain string) ([]string, error) { return res.LookupTXT(context.Background(), domain) },
		})
		if err != nil || len(v) != 1 || v[0].Err != nil || v[0].Domain != "example.test" {
			t.Errorf("DKIM of the message to %s: %+v %v", s.Recipient, v, err)
		}
		out[s.Recipient] = s.Raw
	}
	return out
}

// Submission through the running app, with Go's net/smtp over STARTTLS
// and swaks over implicit TLS: queued, delivered to the sandbox, signed.
func TestSMTPSubmissionThroughTheApp(t *testing.T) {
	a := startApp(t)
	ctx := context.Background()
	sender := fixtures.Sender(t, a.store, a.DNS, "news@example.test", "News")
	if err := a.store.Senders.SetSMTPPassword(ctx, sender.ID, "Secret2026x"); err != nil {
		t.Fatal(err)
	}

	c, err := netsmtp.Dial(a.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(a.clientTLS(t)); err != nil {
		t.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(a.SMTPAddr)
	if err := c.Auth(netsmtp.PlainAuth("", sender.Email, "Secret2026x", host)); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(sender.Email); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("ann@dest.test"); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "From: News <news@example.test>\r\nTo: ann@dest.test\r\nSubject: Via net/smtp\r\n\r\nHello Ann.\r\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		counts, _ := a.store.Queue.CountMessagesByStatus(ctx)
		if counts[models.StatusDelivered] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %v", counts)
		}
	}

	out, ok := swaks.Run(t, a.SMTPSAddr, "--tls-on-connect", "--auth", "LOGIN", "--auth-user", sender.Email, "--auth-password", "Secret2026x",
		"--from", sender.Email, "--to", "bob@dest.test", "--header", "Subject: Via swaks", "--body", "Hello Bob.")
	uid := swaks.QueuedAs(out)
	if !ok || uid == "" {
		t.Fatalf("swaks:\n%s", out)
	}
	a.delivered(t, uid)
	kept := a.sandbox(t)
	if len(kept) != 2 || !bytes.Contains(kept["ann@dest.test"], []byte("Subject: Via net/smtp")) || !bytes.Contains(kept["bob@dest.test"], []byte("Subject: Via swaks")) {
		t.Errorf("the sandbox kept %q", kept)
	}
}
