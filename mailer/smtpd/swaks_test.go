package smtpd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/internal/swaks"
	"github.com/sesame-email/sesame/mailer/smtpd"
	"github.com/sesame-email/sesame/models"
)

func TestSwaksSubmits(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	csv := filepath.Join(t.TempDir(), "report.csv")
	if err := os.WriteFile(csv, []byte("day,sent\n2026-03-01,500\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		addr string
		args []string
	}{
		"STARTTLS, AUTH PLAIN":      {h.addr, []string{"--tls", "--auth", "PLAIN", "--to", "ann@dest.test"}},
		"STARTTLS, AUTH LOGIN":      {h.addr, []string{"--tls", "--auth", "LOGIN", "--to", "ann@dest.test"}},
		"implicit TLS, AUTH any":    {h.tlsAddr, []string{"--tls-on-connect", "--auth", "--to", "ann@dest.test"}},
		"pipelined":                 {h.addr, []string{"--tls", "--auth", "PLAIN", "--pipeline", "--to", "ann@dest.test"}},
		"two recipients":            {h.addr, []string{"--tls", "--auth", "PLAIN", "--to", "ann@dest.test,bob@dest.test", "--body", "For both."}},
		"one recipient, attachment": {h.addr, []string{"--tls", "--auth", "PLAIN", "--to", "ann@dest.test", "--attach-type", "text/csv", "--attach", "@" + csv}},
	} {
		args := append(tc.args, "--auth-user", h.sender.Email, "--auth-password", smtpPassword, "--from", h.sender.Email, "--header", "Subject: "+name)
		out, ok := swaks.Run(t, tc.addr, args...)
		uid := swaks.QueuedAs(out)
		if !ok || uid == "" {
			t.Errorf("%s:\n%s", name, out)
			continue
		}
		m := h.message(uid)
		content, err := h.st.Queue.GetMessageContent(ctx, m.ContentID)
		if err != nil || m.Status != models.StatusQueued || content.Subject != name || !bytes.Contains(content.Raw, []byte("X-Mailer: swaks")) {
			t.Errorf("%s: %+v %q %v", name, m, content.Subject, err)
		}
	}
}

func TestSwaksRefusals(t *testing.T) {
	h := startSubmission(t, smtpd.Config{})
	auth := func(password string) []string {
		return []string{"--auth", "PLAIN", "--auth-user", h.sender.Email, "--auth-password", password}
	}
	smuggle := filepath.Join(t.TempDir(), "smuggle.eml")
	if err := os.WriteFile(smuggle, []byte("From: news@example.test\r\nTo: ann@dest.test\r\nSubject: first\r\n\r\nfirst\n.\n"+
		"MAIL FROM:<news@example.test>\r\nRCPT TO:<victim@dest.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"AUTH in clear text":     {auth(smtpPassword), "Host did not advertise authentication"},
		"wrong password":         {append([]string{"--tls"}, auth("Wrong2026xx")...), "<~* 535 5.7.8 "},
		"another domain's From":  {append([]string{"--tls", "--from", "ceo@bank.test"}, auth(smtpPassword)...), "<~* 553 5.7.1 "},
		"no AUTH, no relaying":   {[]string{"--tls", "--from", h.sender.Email}, "<~* 550 5.7.1 Relaying denied"},
		"smuggling, bare LF dot": {append([]string{"--tls", "--from", h.sender.Email, "--data", "@" + smuggle, "--no-data-fixup"}, auth(smtpPassword)...), "<~* 550 5.5.2 "},
	} {
		args := tc.args
		if !strings.Contains(strings.Join(args, " "), "--from") {
			args = append(args, "--from", h.sender.Email)
		}
		out, ok := swaks.Run(t, h.addr, append(args, "--to", "ann@dest.test")...)
		if ok || !strings.Contains(out, tc.want) {
			t.Errorf("%s: success %v, want %q in:\n%s", name, ok, tc.want, out)
		}
	}
	if got := h.counts(); len(got) != 0 {
		t.Errorf("queued %v", got)
	}
}
