package accounts_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/clocktest"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

// AuthenticateAPIKey keeps a key that authenticated a moment: revoking it
// or disabling its user through the same store takes effect at once,
// through another process sharing the database within a second.
func TestAPIKeyIsKeptBriefly(t *testing.T) {
	clock := clocktest.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	cfg := testdb.Config(t)
	cfg.Clock = clock
	one, two := testdb.OpenConfig(t, cfg), testdb.OpenConfig(t, cfg)
	u, err := one.Accounts.CreateUser(ctx, accounts.NewUser{Email: "ann@example.com", Password: "marketer pass 1", Role: accounts.RoleMarketer})
	if err != nil {
		t.Fatal(err)
	}
	key, secret, err := one.Accounts.CreateAPIKey(ctx, u.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []*accounts.Accounts{one.Accounts, two.Accounts} {
		a, err := st.AuthenticateAPIKey(ctx, key.SecretID)
		if err != nil || a.SecretKey != secret || a.User.Email != "ann@example.com" {
			t.Fatalf("%+v %v", a, err)
		}
		a.User.Email = "changed by a caller"
		if a, _ := st.AuthenticateAPIKey(ctx, key.SecretID); a.User.Email != "ann@example.com" {
			t.Error("a caller changed the kept key")
		}
	}

	if _, err := one.Accounts.UpdateUser(ctx, u.ID, accounts.UserChange{Role: accounts.RoleMarketer, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Accounts.AuthenticateAPIKey(ctx, key.SecretID); !errors.Is(err, accounts.ErrKeyDisabled) {
		t.Errorf("user disabled, through the same store: %v", err)
	}
	if _, err := two.Accounts.AuthenticateAPIKey(ctx, key.SecretID); err != nil {
		t.Errorf("user disabled a moment ago, through another process: %v", err)
	}
	clock.Advance(time.Second)
	if _, err := two.Accounts.AuthenticateAPIKey(ctx, key.SecretID); !errors.Is(err, accounts.ErrKeyDisabled) {
		t.Errorf("user disabled a second ago, through another process: %v", err)
	}

	if _, err := one.Accounts.UpdateUser(ctx, u.ID, accounts.UserChange{Role: accounts.RoleMarketer}); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Accounts.AuthenticateAPIKey(ctx, key.SecretID); err != nil {
		t.Fatal(err)
	}
	if err := one.Accounts.RevokeAPIKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := one.Accounts.AuthenticateAPIKey(ctx, key.SecretID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("revoked, through the same store: %v", err)
	}
}
