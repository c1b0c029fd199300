package accounts_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/store"
)

func TestCreateUserValidates(t *testing.T) {
	st, _ := fixtures.Store(t)
	cases := []struct {
		name  string
		in    accounts.NewUser
		field string
		want  string
	}{
		{"empty email", accounts.NewUser{Password: "0123456789", Role: accounts.RoleAdmin}, "email", "Enter an email address."},
		{"bad email", accounts.NewUser{Email: "not-an-address", Password: "0123456789", Role: accounts.RoleAdmin}, "email", "The email address is not a valid email address."},
		{"display name", accounts.NewUser{Email: "Ann <ann@example.com>", Password: "0123456789", Role: accounts.RoleAdmin}, "email", "The email address is not a valid email address."},
		{"too long email", accounts.NewUser{Email: strings.Repeat("a", 250) + "@example.com", Password: "0123456789", Role: accounts.RoleAdmin}, "email", "The email address is longer than 254 characters."},
		{"short password", accounts.NewUser{Email: "a@example.com", Password: "short", Role: accounts.RoleAdmin}, "password", "Use at least 10 characters."},
		{"empty password", accounts.NewUser{Email: "a@example.com", Role: accounts.RoleAdmin}, "password", "Enter a password."},
		{"long password", accounts.NewUser{Email: "a@example.com", Password: strings.Repeat("x", 73), Role: accounts.RoleAdmin}, "password", "Use at most 72 bytes (about 72 letters)."},
		{"bad role", accounts.NewUser{Email: "a@example.com", Password: "0123456789", Role: "root"}, "role", "Choose admin or marketer."},
		{"bad zone", accounts.NewUser{Email: "a@example.com", Password: "0123456789", Role: accounts.RoleAdmin, TimeZone: "Mars/Olympus"}, "time_zone", "Unknown time zone; use a name such as Europe/Berlin or UTC."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := st.Accounts.CreateUser(ctx, tc.in)
			if got := fixtures.FieldErrors(t, err)[tc.field]; got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.field, got, tc.want)
			}
		})
	}
	if n, _ := st.Accounts.CountUsers(ctx); n != 0 {
		t.Errorf("invalid input stored %d users", n)
	}
}

func TestCreateUserNormalisesAndRejectsDuplicates(t *testing.T) {
	st, _ := fixtures.Store(t)
	u := fixtures.User(t, st, "  Ann@Bücher.Example ", accounts.RoleMarketer)
	if u.Email != "ann@xn--bcher-kva.example" {
		t.Errorf("email stored as %q", u.Email)
	}
	_, err := st.Accounts.CreateUser(ctx, accounts.NewUser{Email: "ANN@xn--bcher-kva.example", Password: "0123456789", Role: accounts.RoleAdmin})
	if got := fixtures.FieldErrors(t, err)["email"]; got != "A user with this email address already exists." {
		t.Errorf("duplicate: %q", got)
	}
}

func TestAuthenticate(t *testing.T) {
	st, _ := fixtures.Store(t)
	u := fixtures.User(t, st, "ann@example.com", accounts.RoleMarketer)
	if got, err := st.Accounts.Authenticate(ctx, "ANN@example.com", "correct horse 1"); err != nil || got.ID != u.ID {
		t.Fatalf("right password: %v %v", got, err)
	}
	for _, tc := range []struct{ email, password string }{
		{"ann@example.com", "wrong password"},
		{"nobody@example.com", "correct horse 1"},
	} {
		if _, err := st.Accounts.Authenticate(ctx, tc.email, tc.password); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Errorf("%s/%s: got %v", tc.email, tc.password, err)
		}
	}
	other := fixtures.User(t, st, "boss@example.com", accounts.RoleAdmin)
	_ = other
	if _, err := st.Accounts.UpdateUser(ctx, u.ID, accounts.UserChange{Role: accounts.RoleMarketer, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Accounts.Authenticate(ctx, "ann@example.com", "correct horse 1"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("disabled user signed in: %v", err)
	}
}

func TestLastAdminCannotBeRemoved(t *testing.T) {
	st, _ := fixtures.Store(t)
	admin := fixtures.User(t, st, "admin@example.com", accounts.RoleAdmin)
	for _, ch := range []accounts.UserChange{{Role: accounts.RoleMarketer}, {Role: accounts.RoleAdmin, Disabled: true}} {
		_, err := st.Accounts.UpdateUser(ctx, admin.ID, ch)
		if !errors.Is(err, models.ErrConflict) || !strings.Contains(err.Error(), "last active admin") {
			t.Errorf("%+v: got %v", ch, err)
		}
	}
	fixtures.User(t, st, "second@example.com", accounts.RoleAdmin)
	if _, err := st.Accounts.UpdateUser(ctx, admin.ID, accounts.UserChange{Role: accounts.RoleMarketer}); err != nil {
		t.Errorf("with a second admin: %v", err)
	}
	got, _ := st.Accounts.GetUser(ctx, admin.ID)
	if got.Role != accounts.RoleMarketer {
		t.Errorf("role is %s", got.Role)
	}
}

func TestDisablingAndPasswordChangesEndSessions(t *testing.T) {
	st, clock := fixtures.Store(t)
	u := fixtures.User(t, st, "ann@example.com", accounts.RoleAdmin)
	fixtures.User(t, st, "boss@example.com", accounts.RoleAdmin)
	newSession := func(id string) {
		now := clock.Now()
		if err := st.Accounts.CreateSession(ctx, &accounts.Session{ID: id, UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(id string) bool {
		_, err := st.Accounts.GetSession(ctx, id)
		return err == nil
	}

	newSession("a")
	newSession("b")
	if err := st.Accounts.ChangePassword(ctx, u.ID, "correct horse 1", "new password 22", "new password 22", "a"); err != nil {
		t.Fatal(err)
	}
	if !exists("a") || exists("b") {
		t.Errorf("after a password change: current kept=%v, other kept=%v", exists("a"), exists("b"))
	}
	if _, err := st.Accounts.Authenticate(ctx, u.Email, "new password 22"); err != nil {
		t.Errorf("new password refused: %v", err)
	}

	err := st.Accounts.ChangePassword(ctx, u.ID, "wrong", "x", "y", "a")
	f := fixtures.FieldErrors(t, err)
	if f["current_password"] == "" || f["new_password"] == "" || f["confirm_password"] == "" {
		t.Errorf("field errors: %v", f)
	}

	if err := st.Accounts.ResetPassword(ctx, u.ID, "reset password 3"); err != nil {
		t.Fatal(err)
	}
	if exists("a") {
		t.Error("an admin's reset kept the user's session")
	}

	newSession("c")
	if _, err := st.Accounts.UpdateUser(ctx, u.ID, accounts.UserChange{Role: accounts.RoleAdmin, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if exists("c") {
		t.Error("disabling kept the user's session")
	}
}

func TestLoginThrottle(t *testing.T) {
	st, clock := fixtures.Store(t)
	fixtures.User(t, st, "ann@example.com", accounts.RoleMarketer)
	login := func(email, password, ip string) error {
		_, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: email, Password: password, ClientIP: ip})
		return err
	}
	for i := 0; i < accounts.LoginMaxFailures; i++ {
		clock.Advance(time.Minute)
		if err := login("ann@example.com", "wrong password", "10.0.0.1"); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// The account is throttled from that address, even with the right password.
	var throttled *models.ThrottledError
	if err := login("ann@example.com", "correct horse 1", "10.0.0.1"); !errors.As(err, &throttled) || throttled.Pace {
		t.Fatalf("sixth attempt: %v", err)
	}
	// The first failure was at 09:01; it leaves the window at 09:16.
	if want := time.Date(2026, 3, 1, 9, 16, 0, 0, time.UTC); !throttled.RetryAt.Equal(want) {
		t.Errorf("retry at %v, want %v", throttled.RetryAt, want)
	}
	clock.Set(time.Date(2026, 3, 1, 9, 16, 1, 0, time.UTC))
	if err := login("ann@example.com", "correct horse 1", "10.0.0.1"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

// adminLogin makes admin@example.com and returns a sign-in to it with a
// password from a client address.
func adminLogin(t *testing.T, st *store.Store) func(password, ip string) error {
	fixtures.User(t, st, "admin@example.com", accounts.RoleAdmin)
	return func(password, ip string) error {
		_, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: "admin@example.com", Password: password, ClientIP: ip})
		return err
	}
}

// Anyone could keep an account locked by failing on purpose (the admin's
// address is known): failures block only the address they come from, and
// the owner signing in from another address gets in.
func TestLoginFailuresDoNotLockTheOwnerOut(t *testing.T) {
	st, clock := fixtures.Store(t)
	login := adminLogin(t, st)
	var throttled *models.ThrottledError
	for i := range 3 * accounts.LoginMaxFailures {
		clock.Advance(time.Second)
		err := login("wrong password", "203.0.113.7")
		if i < accounts.LoginMaxFailures && !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
		if i >= accounts.LoginMaxFailures && (!errors.As(err, &throttled) || throttled.Pace) {
			t.Fatalf("attempt %d from a throttled address: %v", i+1, err)
		}
	}
	if err := login("correct horse 1", "198.51.100.1"); err != nil {
		t.Fatalf("the owner from another address: %v", err)
	}
}

// Guessing from many addresses, each new, is slowed per account to one
// attempt a second once the account has failed often, whatever the number
// of addresses; the owner gets in as soon as it is their turn.
func TestLoginGuessesFromManyAddressesArePaced(t *testing.T) {
	st, clock := fixtures.Store(t)
	login := adminLogin(t, st)
	for i := range accounts.LoginMaxFailures {
		if err := login("guess", fmt.Sprintf("203.0.113.%d", i+1)); !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	// Twenty more addresses at once, within the second of the last failure:
	// all wait.
	var throttled *models.ThrottledError
	for i := range 20 {
		if err := login("guess", fmt.Sprintf("198.18.0.%d", i+1)); !errors.As(err, &throttled) || !throttled.Pace ||
			!throttled.RetryAt.Equal(clock.Now().Add(accounts.LoginAccountPace)) {
			t.Fatalf("guess %d within the pace: %v", i+1, err)
		}
	}
	// A second later, one attempt goes through (and fails), the rest wait.
	clock.Advance(accounts.LoginAccountPace)
	results := make(chan error, 20)
	for i := range 20 {
		go func() { results <- login("guess", fmt.Sprintf("198.18.1.%d", i+1)) }()
	}
	tried := 0
	for range 20 {
		err := <-results
		switch {
		case errors.Is(err, models.ErrInvalidCredentials):
			tried++
		case !errors.As(err, &throttled) || !throttled.Pace:
			t.Errorf("concurrent guess: %v", err)
		}
	}
	if tried != 1 {
		t.Errorf("%d of 20 concurrent guesses were tried, want 1", tried)
	}
	// The owner, at the next turn, gets in, and that ends the pacing until
	// the next failure.
	clock.Advance(accounts.LoginAccountPace)
	if err := login("correct horse 1", "192.0.2.10"); err != nil {
		t.Fatalf("the owner: %v", err)
	}
	if err := login("correct horse 1", "192.0.2.11"); err != nil {
		t.Errorf("the owner again, at once: %v", err)
	}
	if err := login("guess", "198.18.2.1"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("a guess after the owner: %v", err)
	}
	if err := login("guess", "198.18.2.2"); !errors.As(err, &throttled) || !throttled.Pace {
		t.Errorf("the next guess at once: %v", err)
	}
}

// One address guessing at many accounts is throttled as an address, for
// every account.
func TestLoginThrottlesAnAddressGuessingManyAccounts(t *testing.T) {
	st, clock := fixtures.Store(t)
	fixtures.User(t, st, "ann@example.com", accounts.RoleMarketer)
	for i := range accounts.LoginMaxAddressFailures {
		clock.Advance(time.Second)
		_, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: fmt.Sprintf("user%d@example.com", i), Password: "guess guess", ClientIP: "10.0.0.1"})
		if !errors.Is(err, models.ErrInvalidCredentials) {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	var throttled *models.ThrottledError
	if _, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: "ann@example.com", Password: "correct horse 1", ClientIP: "10.0.0.1"}); !errors.As(err, &throttled) {
		t.Errorf("the guessing address: %v", err)
	}
	if _, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: "ann@example.com", Password: "correct horse 1", ClientIP: "10.0.0.2"}); err != nil {
		t.Errorf("another address: %v", err)
	}
}

func TestLoginValidatesInput(t *testing.T) {
	st, _ := fixtures.Store(t)
	_, err := st.Accounts.Login(ctx, accounts.LoginInput{Email: strings.Repeat("a", 300), Password: strings.Repeat("p", 2000)})
	f := fixtures.FieldErrors(t, err)
	if f["email"] == "" || f["password"] == "" {
		t.Errorf("over-long input: %v", f)
	}
	_, err = st.Accounts.Login(ctx, accounts.LoginInput{})
	f = fixtures.FieldErrors(t, err)
	if f["email"] != "Enter your email address." || f["password"] != "Enter your password." {
		t.Errorf("empty input: %v", f)
	}
}

func TestEnsureAdminOnlyOnEmptyDatabase(t *testing.T) {
	st, _ := fixtures.Store(t)
	u, pw, err := st.Accounts.EnsureAdmin(ctx, "admin@localhost", "")
	if err != nil || u == nil || len(pw) != 16 {
		t.Fatalf("first start: %v %q %v", u, pw, err)
	}
	if _, err := st.Accounts.Authenticate(ctx, "admin@localhost", pw); err != nil {
		t.Errorf("printed password does not work: %v", err)
	}
	u, pw, err = st.Accounts.EnsureAdmin(ctx, "admin@localhost", "")
	if err != nil || u != nil || pw != "" {
		t.Errorf("second start created again: %v %q %v", u, pw, err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	st, _ := fixtures.Store(t)
	n, err := st.DB.Migrate(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d: %v", n, err)
	}
	v, err := st.DB.SchemaVersion(ctx)
	if err != nil || v != db.LatestSchemaVersion() || v == 0 {
		t.Errorf("schema version %d (latest %d): %v", v, db.LatestSchemaVersion(), err)
	}
}

func TestPasswordsAreHashedWithBcryptCostOfAtLeast10(t *testing.T) {
	cfg := testdb.Config(t)
	cfg.PasswordCost = 0 // the production default
	st := testdb.OpenConfig(t, cfg)
	u := fixtures.User(t, st, "ann@example.com", accounts.RoleAdmin)
	cost, err := bcrypt.Cost([]byte(u.PasswordHash))
	if err != nil || cost < 10 {
		t.Errorf("bcrypt cost %d: %v", cost, err)
	}
	if strings.Contains(u.PasswordHash, "correct horse") {
		t.Error("password stored in clear")
	}
}
