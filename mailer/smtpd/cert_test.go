package smtpd_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/mailer/smtpd"
)

func TestSelfSignedCertificateIsMadeOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	first, err := smtpd.Certificate("", "", dir, "mail.example.test", now)
	if err != nil {
		t.Fatal(err)
	}
	leaf := first.Leaf
	if leaf.VerifyHostname("mail.example.test") != nil || leaf.VerifyHostname("localhost") != nil || !leaf.NotBefore.Before(now) || leaf.NotAfter.Before(now.AddDate(9, 0, 0)) {
		t.Errorf("certificate for %v, %v to %v", leaf.DNSNames, leaf.NotBefore, leaf.NotAfter)
	}
	if fi, err := os.Stat(filepath.Join(dir, smtpd.SelfSignedKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v", fi.Mode(), err)
	}
	again, err := smtpd.Certificate("", "", dir, "mail.example.test", now.AddDate(1, 0, 0))
	if err != nil || !bytes.Equal(again.Leaf.Raw, leaf.Raw) {
		t.Errorf("a second start made a new certificate (%v)", err)
	}
	// A new host name, or the end of its validity, makes a new one.
	renamed, err := smtpd.Certificate("", "", dir, "smtp.example.test", now)
	if err != nil || bytes.Equal(renamed.Leaf.Raw, leaf.Raw) || renamed.Leaf.VerifyHostname("smtp.example.test") != nil {
		t.Errorf("after a rename: %v %v", renamed.Leaf.DNSNames, err)
	}
	expired, err := smtpd.Certificate("", "", dir, "smtp.example.test", renamed.Leaf.NotAfter.Add(time.Hour))
	if err != nil || bytes.Equal(expired.Leaf.Raw, renamed.Leaf.Raw) {
		t.Errorf("an expired certificate was kept (%v)", err)
	}
}

func TestOperatorCertificate(t *testing.T) {
	made := t.TempDir()
	want, err := smtpd.Certificate("", "", made, "mail.example.test", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(made, smtpd.SelfSignedCertFile), filepath.Join(made, smtpd.SelfSignedKeyFile)
	empty := t.TempDir()
	got, err := smtpd.Certificate(certFile, keyFile, empty, "other.example.test", time.Now())
	if err != nil || !bytes.Equal(got.Leaf.Raw, want.Leaf.Raw) {
		t.Errorf("the operator's files: %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a certificate was made beside the operator's: %v", entries)
	}
	if _, err := smtpd.Certificate(keyFile, certFile, empty, "mail.example.test", time.Now()); err == nil {
		t.Error("swapped files loaded")
	}
	// A damaged self-signed pair is reported, not silently replaced.
	os.WriteFile(filepath.Join(made, smtpd.SelfSignedKeyFile), []byte("garbage"), 0o600)
	if _, err := smtpd.Certificate("", "", made, "mail.example.test", time.Now()); err == nil || !strings.Contains(err.Error(), "remove "+smtpd.SelfSignedCertFile) {
		t.Errorf("a damaged key: %v", err)
	}
}
