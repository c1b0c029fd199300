package mailer_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/mailer"
	"github.com/sesame-email/sesame/mailer/outgoing"
	"github.com/sesame-email/sesame/models/content"
	"github.com/sesame-email/sesame/models/queue"
)

const submitted = "From: \"Example News\" <news@example.test>\r\n" +
	"To: ann@dest.test\r\n" +
	"Subject: =?utf-8?q?Caf=C3=A9?=\r\n" +
	"\r\n" +
	"Hello.\r\n.. a dotted line\r\n"

func TestReadSubmission(t *testing.T) {
	s, err := mailer.ReadSubmission([]byte(submitted))
	if err != nil {
		t.Fatal(err)
	}
	if s.From.Address != "news@example.test" || s.From.Name != "Example News" || s.Sender != nil || s.Subject != "Café" {
		t.Errorf("read %+v", s)
	}
	s, err = mailer.ReadSubmission([]byte("Sender: Bot <bot@example.test>\r\n" + submitted))
	if err != nil || s.Sender == nil || s.Sender.Address != "bot@example.test" {
		t.Errorf("with a Sender header: %+v %v", s, err)
	}
	// A message may be only a header (RFC 5322 makes the body optional).
	for raw, subject := range map[string]string{"From: news@example.test\r\nSubject: hi\r\n": "hi", "From: news@example.test": ""} {
		if s, err = mailer.ReadSubmission([]byte(raw)); err != nil || s.Subject != subject {
			t.Errorf("%q: %+v %v", raw, s, err)
		}
	}
}

func TestReadSubmissionRefuses(t *testing.T) {
	for name, raw := range map[string]string{
		"no From":                 "To: ann@dest.test\r\nSubject: hi\r\n\r\nbody\r\n",
		"two From headers":        "From: news@example.test\r\nFrom: ceo@bank.test\r\n\r\nbody\r\n",
		"two authors":             "From: news@example.test, ceo@bank.test\r\n\r\nbody\r\n",
		"a group":                 "From: undisclosed:;\r\n\r\nbody\r\n",
		"a broken From":           "From: <news@@example.test\r\n\r\nbody\r\n",
		"two Sender headers":      "From: news@example.test\r\nSender: a@example.test\r\nSender: b@example.test\r\n\r\nbody\r\n",
		"no header":               "Hello, this is just text.\r\nFrom: news@example.test\r\n\r\nbody\r\n",
		"a continuation first":    " folded: x\r\nFrom: news@example.test\r\n\r\nbody\r\n",
		"a bad header field name": "From: news@example.test\r\nBad Name: x\r\n\r\nbody\r\n",
	} {
		var inv *mailer.InvalidSubmissionError
		if _, err := mailer.ReadSubmission([]byte(raw)); !errors.As(err, &inv) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Every line end that is not CRLF: the SMTP smuggling sequences, and a
	// lone CR or LF anywhere.
	for _, raw := range []string{
		submitted + "\n.\nMAIL FROM:<ceo@bank.test>\r\n",
		submitted + "\r\n.\nMAIL FROM:<ceo@bank.test>\r\n",
		submitted + "\n.\r\nMAIL FROM:<ceo@bank.test>\r\n",
		submitted + "\r.\r\nMAIL FROM:<ceo@bank.test>\r\n",
		submitted + "\r\n.\rMAIL FROM:<ceo@bank.test>\r\n",
		"From: news@example.test\nSubject: hi\n\nbody\n",
		"From: news@example.test\r\nSubject: hi\r\n\r\nbo\rdy\r\n",
		"From: news@example.test\r\nSubject: hi\r\n\r\nbody\r\n\n",
		"From: news@example.test\r\nSubject: hi\r\n\r\nbody\r",
	} {
		if _, err := mailer.ReadSubmission([]byte(raw)); !errors.Is(err, mailer.ErrBareLineBreak) {
			t.Errorf("%q: %v", raw, err)
		}
	}
	big := []byte(submitted + strings.Repeat(strings.Repeat("x", 998)+"\r\n", content.MaxRawBytes/1000+1))
	if _, err := mailer.ReadSubmission(big); !errors.Is(err, outgoing.ErrMessageTooLarge) {
		t.Errorf("%d bytes: %v", len(big), err)
	}
}

// A submission is sent with its header as written, minus Bcc, plus the
// Message-ID and Date it lacked, and its body byte for byte.
func TestRawSubmissionIsPassedThrough(t *testing.T) {
	raw := "From: news@example.test\r\nTo: ann@dest.test\r\nBcc: secret@dest.test,\r\n other@dest.test\r\nSubject: hi\r\n\r\n" +
		"body line 1\r\n\r\nbody line 3 =?utf-8?q?not_decoded?=\r\n"
	if _, err := mailer.ReadSubmission([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	m := &queue.Message{UID: queue.NewMessageUID(), CreatedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	built, err := outgoing.NewBuilder(outgoing.NewLinks("https://sesame.example", []byte("k"))).Unsigned(m, &queue.MessageContent{Raw: []byte(raw)}, "example.test")
	if err != nil {
		t.Fatal(err)
	}
	header, body, _ := bytes.Cut(built.Data, []byte("\r\n\r\n"))
	if bytes.Contains(header, []byte("Bcc")) || bytes.Contains(built.Data, []byte("secret@")) {
		t.Errorf("the Bcc header went out:\n%s", built.Data)
	}
	for _, want := range []string{"Message-Id: <" + m.UID + "@example.test>", "Date: Mon, 02 Mar 2026 09:00:00 +0000", "Subject: hi", "To: ann@dest.test"} {
		if !bytes.Contains(header, []byte(want)) {
			t.Errorf("header lacks %q:\n%s", want, header)
		}
	}
	if string(body) != "body line 1\r\n\r\nbody line 3 =?utf-8?q?not_decoded?=\r\n" {
		t.Errorf("body %q", body)
	}
}

func TestHeaderOnlySubmissionIsBuilt(t *testing.T) {
	m := &queue.Message{UID: queue.NewMessageUID(), CreatedAt: time.Now()}
	built, err := outgoing.NewBuilder(outgoing.NewLinks("https://sesame.example", []byte("k"))).
		Unsigned(m, &queue.MessageContent{Raw: []byte("From: news@example.test\r\nSubject: hi\r\n")}, "example.test")
	if err != nil || !bytes.HasSuffix(built.Data, []byte("Subject: hi\r\n\r\n")) || !bytes.Contains(built.Data, []byte("Message-Id: <"+m.UID)) {
		t.Errorf("%q %v", built.Data, err)
	}
}
