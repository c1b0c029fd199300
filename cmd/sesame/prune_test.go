package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
)

// sesame prune keeps what the retention setting keeps, removes everything
// final created before --before, keeps what is not final whatever its
// age, and says what it did.
func TestPruneCommand(t *testing.T) {
	ctx := context.Background()
	dbcfg := testdb.Config(t)
	st := testdb.OpenConfig(t, dbcfg)
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	sent := fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{
		"ann@example.org": models.StatusDelivered, "bob@example.org": models.StatusDeferred})
	vars := env(map[string]string{"SESAME_DATA_DIR": dbcfg.DataDir, "DATABASE_URL": dbcfg.DatabaseURL})
	prune := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"prune"}, args...), vars, &out, io.Discard)
		return out.String(), err
	}

	out, err := prune()
	if err != nil || !strings.HasPrefix(out, "removed 0 messages") {
		t.Errorf("sesame prune with nothing past retention: %v\n%s", err, out)
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format(time.DateOnly)
	out, err = prune("--before", tomorrow)
	if err != nil || !strings.HasPrefix(out, "removed 1 messages") || !strings.Contains(out, "kept 1 older messages that are not final yet") {
		t.Errorf("sesame prune --before %s: %v\n%s", tomorrow, err, out)
	}
	if _, err := st.Queue.GetMessageByUID(ctx, sent["ann@example.org"].UID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the delivered message: %v, want removed", err)
	}
	if _, err := st.Queue.GetMessageByUID(ctx, sent["bob@example.org"].UID); err != nil {
		t.Errorf("the deferred message: %v, want kept", err)
	}

	_, err = prune("--before", "1 March")
	var usage usageError
	if !errors.As(err, &usage) || !strings.Contains(err.Error(), "--before must be a day, YYYY-MM-DD") {
		t.Errorf("a --before that is not a day: %v, want a usage error", err)
	}
}
