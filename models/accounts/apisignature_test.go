package accounts_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/accounts"
)

func TestAPISignatureReplayRule(t *testing.T) {
	st, clock := fixtures.Store(t)
	for i, tc := range []struct {
		first, again string
		after        time.Duration
		refused      bool
		once         bool
	}{
		{"GetEmailTemplate", "GetEmailTemplate", 4 * time.Minute, false, false},       // a read-only repeat
		{"GetEmailTemplate", "DeleteEmailTemplate", 3 * time.Second, true, false},     // re-targeted
		{"GetEmailTemplate", "ListEmailTemplates", 3 * time.Second, true, false},      // re-targeted, if harmlessly
		{"SendEmail", "SendEmail", 3 * time.Second, true, false},                      // a second copy
		{"CreateEmailIdentity", "UpdateEmailIdentity", time.Second, false, false},     // the SDK's same-second pair
		{"CreateEmailIdentity", "UpdateEmailIdentity", 2 * time.Second, false, false}, // the grace's edge
		{"CreateEmailIdentity", "UpdateEmailIdentity", 2*time.Second + time.Millisecond, true, false},
		{"SendEmail", "SendEmail", 0, false, false},
		{"GetEmailTemplate", "GetEmailTemplate", 0, true, true}, // a nonce is never used twice
		{"SendEmail", "SendEmail", 0, true, true},
	} {
		sig := fmt.Sprintf("%064d", i)
		use := func(action string) error {
			return st.Accounts.UseSignature(ctx, accounts.SignatureUse{Signature: sig, Action: action, ReadOnly: strings.HasPrefix(action, "Get") || strings.HasPrefix(action, "List"),
				ExpiresAt: clock.Now().Add(5 * time.Minute), Once: tc.once})
		}
		if err := use(tc.first); err != nil {
			t.Fatalf("%d: first use: %v", i, err)
		}
		clock.Advance(tc.after)
		err := use(tc.again)
		var replayed *accounts.ReplayedError
		if refused := errors.As(err, &replayed); refused != tc.refused || (!refused && err != nil) {
			t.Errorf("%s then %s %s later: %v", tc.first, tc.again, tc.after, err)
		}
		if replayed != nil && (replayed.Action != tc.first || !replayed.FirstUsedAt.Equal(clock.Now().Add(-tc.after))) {
			t.Errorf("%s then %s: %+v", tc.first, tc.again, replayed)
		}
	}
}

// Several processes share one database: a signature first used through one
// is a replay through another.
func TestAPISignaturesAcrossProcesses(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	cfg := testdb.Config(t)
	cfg.Clock = clock
	one, two := testdb.OpenConfig(t, cfg), testdb.OpenConfig(t, cfg)
	use := accounts.SignatureUse{Signature: "ab", Action: "SendEmail", ExpiresAt: clock.Now().Add(5 * time.Minute)}
	if err := one.Accounts.UseSignature(ctx, use); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	var replayed *accounts.ReplayedError
	if err := two.Accounts.UseSignature(ctx, use); !errors.As(err, &replayed) {
		t.Errorf("through the second process: %v", err)
	}
}

// Signatures are kept while they could verify, and swept in bulk after.
func TestAPISignaturesAreSweptWhenExpired(t *testing.T) {
	st, clock := fixtures.Store(t)
	for i := range 50 {
		use := accounts.SignatureUse{Signature: fmt.Sprint(i), Action: "GetEmailTemplate", ReadOnly: true, ExpiresAt: clock.Now().Add(5 * time.Minute)}
		if err := st.Accounts.UseSignature(ctx, use); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(4 * time.Minute)
	fresh := accounts.SignatureUse{Signature: "fresh", Action: "SendEmail", ExpiresAt: clock.Now().Add(5 * time.Minute)}
	if err := st.Accounts.UseSignature(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Accounts.APISignatureCount(ctx); err != nil || n != 51 {
		t.Fatalf("within the window: %d signatures, %v", n, err)
	}
	clock.Advance(2 * time.Minute)
	later := accounts.SignatureUse{Signature: "later", Action: "SendEmail", ExpiresAt: clock.Now().Add(5 * time.Minute)}
	if err := st.Accounts.UseSignature(ctx, later); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Accounts.APISignatureCount(ctx); err != nil || n != 2 {
		t.Errorf("after the first 50 expired: %d signatures, %v", n, err)
	}
}

// Uses committed together are judged each on its own: a replay among them
// is refused and the others recorded, and a signature twice in one group
// is the same request sent twice at once.
func TestAPISignaturesCommittedTogether(t *testing.T) {
	st, clock := fixtures.Store(t)
	exp := clock.Now().Add(5 * time.Minute)
	if err := st.Accounts.UseSignature(ctx, accounts.SignatureUse{Signature: "old", Action: "SendEmail", ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(3 * time.Second)
	errs := st.Accounts.UseSignaturesTogether(ctx, []accounts.SignatureUse{
		{Signature: "a", Action: "SendEmail", ExpiresAt: exp},
		{Signature: "old", Action: "SendEmail", ExpiresAt: exp},
		{Signature: "b", Action: "SendEmail", ExpiresAt: exp},
		{Signature: "b", Action: "SendEmail", ExpiresAt: exp},
	})
	var replayed *accounts.ReplayedError
	if errs[0] != nil || !errors.As(errs[1], &replayed) || errs[2] != nil || errs[3] != nil {
		t.Fatalf("outcomes %v", errs)
	}
	if n, _ := st.Accounts.APISignatureCount(ctx); n != 3 {
		t.Errorf("%d signatures remembered, want 3", n)
	}
	clock.Advance(3 * time.Second)
	if err := st.Accounts.UseSignature(ctx, accounts.SignatureUse{Signature: "a", Action: "SendEmail", ExpiresAt: exp}); !errors.As(err, &replayed) {
		t.Errorf("a replay of a signature committed in a group: %v", err)
	}
}
