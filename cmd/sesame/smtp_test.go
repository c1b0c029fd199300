package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	netsmtp "net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/reportfixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/models"
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

func serveEnv(t *testing.T, httpAddr, smtpAddr string) func(string) string {
	dbcfg := testdb.Config(t)
	return env(map[string]string{
		"SESAME_DATA_DIR": dbcfg.DataDir, "DATABASE_URL": dbcfg.DatabaseURL,
		"SESAME_HTTP_ADDR": httpAddr, "SESAME_SMTP_ADDR": smtpAddr, "SESAME_BOUNCE_HOST": testdb.BounceHost,
		"SESAME_ADMIN_PASSWORD": "admin password 1",
	})
}

func TestServeRunsTheSMTPServerUntilTheContextEnds(t *testing.T) {
	httpAddr, smtpAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, serveEnv(t, httpAddr, smtpAddr), io.Discard, io.Discard) }()

	// Up once the console answers: the SMTP server starts before it.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res, err := http.Get("http://" + httpAddr + "/healthz")
		if err == nil {
			res.Body.Close()
			break
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
	err = run(context.Background(), []string{"serve"}, serveEnv(t, freeAddr(t), taken.Addr().String()), io.Discard, io.Discard)
	if err == nil || !strings.HasPrefix(err.Error(), "SESAME_SMTP_ADDR: cannot listen") {
		t.Errorf("serve with the SMTP port taken: %v", err)
	}
}

// A message delivered by the running app, then bounced by the receiver:
// the DSN reaches the app's SMTP server and the message is bounced.
func TestAsynchronousBounceThroughTheApp(t *testing.T) {
	a := startApp(t)
	sender := fixtures.Sender(t, a.store, a.DNS, "news@example.test", "News")
	msgs, err := a.store.Enqueue(context.Background(), models.EnqueueRequest{Sender: sender,
		Content: models.MessageContent{Subject: "Hello", Text: "Hello there."}, To: []models.Addressee{{Email: "gone@dest.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	m := &msgs[0]
	for deadline := time.Now().Add(30 * time.Second); m.Status != models.StatusDelivered; time.Sleep(20 * time.Millisecond) {
		if m, err = a.store.GetMessageByUID(context.Background(), m.UID); err != nil || time.Now().After(deadline) {
			t.Fatalf("not delivered to the sandbox: %+v %v", m, err)
		}
	}
	dsn := reportfixtures.Load(t, "postfix-hard.eml", m.UID, "example.test", m.Recipient)
	if err := netsmtp.SendMail(a.SMTPAddr, nil, "", []string{mailer.EnvelopeFrom(m.UID, "example.test")}, dsn); err != nil {
		t.Fatal(err)
	}
	m, _ = a.store.GetMessageByUID(context.Background(), m.UID)
	found, _ := a.store.SuppressionsOf(context.Background(), []string{m.Recipient})
	if m.Status != models.StatusBounced || found[m.Recipient].Reason != models.ReasonHardBounce {
		t.Errorf("after the DSN: %s, suppression %+v", m.Status, found[m.Recipient])
	}
}
