// Package swaks runs Debian's swaks, the Swiss Army Knife for SMTP, as a
// real SMTP client in tests.
package swaks

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// Run runs swaks against addr with args and returns its transcript and
// whether it reported success. Give it everything it needs (--to, --from,
// the body): swaks prompts for what it lacks, and the timeout ends that.
func Run(t testing.TB, addr string, args ...string) (string, bool) {
	t.Helper()
	path, err := exec.LookPath("swaks")
	if err != nil {
		t.Fatal("swaks not found: install Debian's swaks package (make test does so when run as root)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, path, append([]string{"--server", addr, "--ehlo", "client.test", "--timeout", "15"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("swaks: %v", err)
	}
	return out.String(), err == nil
}

var queuedAs = regexp.MustCompile(`<~ +250 2\.0\.0 Ok: queued as ([0-9a-z]{26})`)

// QueuedAs is the message id Sesame's 250 reply named in a transcript, or
// "" when there is none.
func QueuedAs(transcript string) string {
	if m := queuedAs.FindStringSubmatch(transcript); m != nil {
		return m[1]
	}
	return ""
}
