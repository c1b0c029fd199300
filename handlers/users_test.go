package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/sesame-email/sesame/models/accounts"
)

func TestAdminManagesUsers(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	admin := c.browser()
	admin.login("boss@example.com")

	// Invalid input re-renders the form with field errors and stores nothing.
	p := admin.post("/admin/users/new", "/admin/users", url.Values{"email": {"bad"}, "password": {"short"}, "role": {"marketer"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, "is not a valid email address", "Use at least 10 characters.")

	p = admin.post("/admin/users/new", "/admin/users", url.Values{"email": {"ann@example.com"}, "password": {testPassword}, "role": {"marketer"}})
	if p.Status != http.StatusSeeOther || p.Header.Get("Location") != "/admin/users" {
		t.Fatalf("create: %d", p.Status)
	}
	wantStatus(t, admin.get("/admin/users"), http.StatusOK, "User ann@example.com created.", "ann@example.com")
	ann, err := c.Store.Accounts.GetUserByEmail(ctx, "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	annPath := "/admin/users/" + strconv.FormatUint(ann.ID, 10)

	// Ann signs in; promoting her works; disabling her ends her session at once.
	annBrowser := c.browser()
	annBrowser.login("ann@example.com")
	wantStatus(t, annBrowser.get("/admin/users"), http.StatusForbidden)
	wantStatus(t, admin.post(annPath, annPath, url.Values{"role": {"admin"}}), http.StatusSeeOther)
	wantStatus(t, annBrowser.get("/admin/users"), http.StatusOK)
	wantStatus(t, admin.post(annPath, annPath, url.Values{"role": {"marketer"}, "disabled": {"1"}}), http.StatusSeeOther)
	if p := annBrowser.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("disabled user still signed in: %d", p.Status)
	}
	wantStatus(t, annBrowser.post("/login", "/login", url.Values{"email": {"ann@example.com"}, "password": {testPassword}}), http.StatusUnauthorized)

	// Re-enable and reset the password: the old one stops working.
	wantStatus(t, admin.post(annPath, annPath, url.Values{"role": {"marketer"}}), http.StatusSeeOther)
	wantStatus(t, admin.post(annPath, annPath+"/password", url.Values{"password": {"x"}}), http.StatusUnprocessableEntity, "Use at least 10 characters.")
	wantStatus(t, admin.post(annPath, annPath+"/password", url.Values{"password": {"brand new pass"}}), http.StatusSeeOther)
	if _, err := c.Store.Accounts.Authenticate(ctx, "ann@example.com", "brand new pass"); err != nil {
		t.Errorf("reset password refused: %v", err)
	}

	// The last admin cannot demote themselves.
	boss, _ := c.Store.Accounts.GetUserByEmail(ctx, "boss@example.com")
	bossPath := "/admin/users/" + strconv.FormatUint(boss.ID, 10)
	wantStatus(t, admin.post(bossPath, bossPath, url.Values{"role": {"marketer"}}), http.StatusConflict, "last active admin")
	// Bad role and unknown users.
	wantStatus(t, admin.post(bossPath, bossPath, url.Values{"role": {"root"}}), http.StatusUnprocessableEntity, "Choose admin or marketer.")
	wantStatus(t, admin.get("/admin/users/999999"), http.StatusNotFound)
	wantStatus(t, admin.get("/admin/users/abc"), http.StatusNotFound)
}

func TestUserChangesOwnPasswordAndZone(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	other := c.browser()
	other.login("ann@example.com")

	wantStatus(t, b.post("/account", "/account/timezone", url.Values{"time_zone": {"Nowhere/City"}}), http.StatusUnprocessableEntity, "Unknown time zone")
	wantStatus(t, b.post("/account", "/account/timezone", url.Values{"time_zone": {"Europe/Berlin"}}), http.StatusSeeOther)
	wantStatus(t, b.get("/account"), http.StatusOK, "Time zone set to Europe/Berlin.", `value="Europe/Berlin"`)

	wantStatus(t, b.post("/account", "/account/password", url.Values{"current_password": {"wrong"}, "new_password": {"another pass 2"}, "confirm_password": {"another pass 2"}}),
		http.StatusUnprocessableEntity, "This is not your current password.")
	wantStatus(t, b.post("/account", "/account/password", url.Values{"current_password": {testPassword}, "new_password": {"another pass 2"}, "confirm_password": {"another pass 2"}}),
		http.StatusSeeOther)
	wantStatus(t, b.get("/account"), http.StatusOK, "Password changed.")
	if p := other.get("/"); p.Status != http.StatusSeeOther {
		t.Errorf("the other device is still signed in: %d", p.Status)
	}
}
