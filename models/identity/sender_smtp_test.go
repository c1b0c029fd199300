package identity_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

func TestLoginSMTPIsThrottledPerClient(t *testing.T) {
	st, clock := fixtures.Store(t)
	a := fixtures.Sender(t, st, dnstest.Start(t), "News@example.test", "News")
	if err := st.Senders.SetSMTPPassword(ctx, a.ID, "Secret2026x"); err != nil {
		t.Fatal(err)
	}
	login := func(email, password, ip string) error {
		_, err := st.Senders.LoginSMTP(ctx, accounts.LoginInput{Email: email, Password: password, ClientIP: ip})
		return err
	}
	got, err := st.Senders.LoginSMTP(ctx, accounts.LoginInput{Email: " News@example.test ", Password: "Secret2026x", ClientIP: "10.0.0.1"})
	if err != nil || got.ID != a.ID || got.Domain == nil || got.Domain.Name != "example.test" {
		t.Fatalf("login: %+v %v", got, err)
	}
	// Failures from one client, in either case, add up for the address.
	for i := range accounts.LoginMaxFailures {
		clock.Advance(time.Minute)
		email := "News@example.test"
		if i%2 == 1 {
			email = "news@EXAMPLE.test"
		}
		if err := login(email, "Wrong2026xx", "10.0.1.1"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	var throttled *models.ThrottledError
	if err := login("News@example.test", "Secret2026x", "10.0.1.1"); !errors.As(err, &throttled) {
		t.Fatalf("the right password from the throttled client: %v", err)
	}
	if want := time.Date(2026, 3, 1, 9, 16, 0, 0, time.UTC); !throttled.RetryAt.Equal(want) {
		t.Errorf("retry at %v, want %v", throttled.RetryAt, want)
	}
	// Its owner, from another client, is not locked out: at most paced.
	clock.Advance(accounts.LoginAccountPace)
	if err := login("News@example.test", "Secret2026x", "10.0.0.9"); err != nil {
		t.Fatalf("another client: %v", err)
	}
	clock.Set(time.Date(2026, 3, 1, 9, 16, 1, 0, time.UTC))
	if err := login("News@example.test", "Secret2026x", "10.0.1.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	// One client guessing at many addresses, even ones too long to exist,
	// is throttled as a client, for sign-ins to the console too.
	for i := range accounts.LoginMaxAddressFailures {
		email := strings.Repeat("x", 300) + "@example.test"
		if i%2 == 0 {
			email = "guess" + string(rune('a'+i)) + "@example.test"
		}
		if err := login(email, "Guess2026xx", "10.0.2.1"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	if err := login("News@example.test", "Secret2026x", "10.0.2.1"); !errors.As(err, &throttled) {
		t.Errorf("the guessing client: %v", err)
	}
	if _, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: "admin@example.test", Password: "whatever12", ClientIP: "10.0.2.1"}); !errors.As(err, &throttled) {
		t.Errorf("the guessing client at the console: %v", err)
	}
	if err := login("News@example.test", "Secret2026x", "10.0.2.2"); err != nil {
		t.Errorf("another client: %v", err)
	}
}

func TestSendingAsStaysWithinTheDomain(t *testing.T) {
	st, _ := fixtures.Store(t)
	a := fixtures.Sender(t, st, dnstest.Start(t), "news@example.test", "News")
	as, err := a.SendingAs("Alerts@EXAMPLE.test", "  Alerts  ")
	if err != nil || as.Email != "Alerts@example.test" || as.DisplayName != "Alerts" || as.ID != a.ID || as.DomainID != a.DomainID {
		t.Errorf("an address of the domain: %+v %v", as, err)
	}
	if a.Email != "news@example.test" {
		t.Errorf("the sender itself changed: %s", a.Email)
	}
	if as, err := a.SendingAs("news@example.test", strings.Repeat("é", 80)); err != nil || len(as.DisplayName) > 100 {
		t.Errorf("a long display name: %q %v", as.DisplayName, err)
	}
	for raw, want := range map[string]string{
		"ceo@bank.test":          "news@example.test may only send from addresses @example.test.",
		"news@sub.example.test":  "news@example.test may only send from addresses @example.test.",
		"news@example.test.evil": "news@example.test may only send from addresses @example.test.",
		"":                       "This is not a valid email address.",
		"not an address":         "This is not a valid email address.",
	} {
		if _, err := a.SendingAs(raw, ""); fixtures.FieldErrors(t, err)["from"] != want {
			t.Errorf("%q: %v", raw, err)
		}
	}
}
