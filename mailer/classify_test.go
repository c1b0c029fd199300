package mailer

import (
	"errors"
	"net"
	"testing"

	"github.com/sesame-email/sesame/mailer/smtpclient"
	"github.com/sesame-email/sesame/models"
)

// Which replies throttle a destination and which defer one message only.
func TestClassify(t *testing.T) {
	cases := []struct {
		code             int
		text             string
		status           models.MessageStatus
		throttle, broken bool
	}{
		{451, "4.7.1 Greylisted, please try again later", models.StatusDeferred, false, false},
		{450, "4.2.0 <ann@example.net>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.net.html", models.StatusDeferred, false, false},
		{451, "4.7.1 Please try again later", models.StatusDeferred, false, false},
		{451, "4.7.1 Graylisted: rate of new triplets is high, try again later", models.StatusDeferred, false, false},
		{452, "4.2.2 Mailbox full", models.StatusDeferred, false, false},
		{452, "4.5.3 Too many recipients", models.StatusDeferred, false, false},
		{451, "4.3.0 Temporary local problem, try again in 120 seconds", models.StatusDeferred, false, false},
		{421, "4.7.0 Too many connections", models.StatusDeferred, true, true},
		{421, "4.3.2 Service not available, closing transmission channel", models.StatusDeferred, true, true},
		{451, "4.7.28 Our system has detected an unusual rate of unsolicited mail", models.StatusDeferred, true, false},
		{450, "4.7.0 Rate limit exceeded, try again later", models.StatusDeferred, true, false},
		{451, "4.7.0 Too many messages from your IP", models.StatusDeferred, true, false},
		{452, "4.7.0 Message throttled due to excessive volume", models.StatusDeferred, true, false},
		{550, "5.1.1 No such user", models.StatusBounced, false, false},
	}
	for _, c := range cases {
		got := classify(&smtpclient.Error{Code: c.code, Text: c.text})
		if got.Status != c.status || got.Throttle != c.throttle || got.Broken != c.broken {
			t.Errorf("%d %s: %s throttle=%v broken=%v, want %s %v %v", c.code, c.text, got.Status, got.Throttle, got.Broken, c.status, c.throttle, c.broken)
		}
	}
	// A timed-out connection throttles; one that broke otherwise does not.
	timeout := classify(&net.OpError{Op: "read", Err: timeoutError{}})
	if !timeout.Throttle || !timeout.Broken {
		t.Errorf("timeout: %+v", timeout)
	}
	if reset := classify(errors.New("connection reset by peer")); reset.Throttle || !reset.Broken {
		t.Errorf("reset: %+v", reset)
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }
