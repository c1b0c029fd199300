package handlers_test

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
)

var (
	newSecretID  = regexp.MustCompile(`data-testid="new-secret-id">(AKID[A-Za-z0-9]+)<`)
	newSecretKey = regexp.MustCompile(`data-testid="new-secret-key">([A-Za-z0-9]+)<`)
)

func TestAPIKeysPage(t *testing.T) {
	c := newConsole(t)
	c.user("boss@example.com", accounts.RoleAdmin)
	ann := c.user("ann@example.com", accounts.RoleMarketer)
	bob := c.user("bob@example.com", accounts.RoleMarketer)
	_, _, err := c.Store.Accounts.CreateAPIKey(ctx, bob.ID, "bob's script")
	if err != nil {
		t.Fatal(err)
	}

	b := c.browser()
	b.login("ann@example.com")
	wantStatus(t, b.get("/api-keys"), http.StatusOK, "No API keys yet")

	// Creating shows the secret key on the answer, once.
	p := b.post("/api-keys", "/api-keys", url.Values{"name": {"billing"}})
	wantStatus(t, p, http.StatusCreated, "Copy the SecretKey now")
	id, key := newSecretID.FindStringSubmatch(p.Body), newSecretKey.FindStringSubmatch(p.Body)
	if id == nil || key == nil {
		t.Fatalf("no new key on the page:\n%s", mainContent(p.Body))
	}
	auth, err := c.Store.Accounts.AuthenticateAPIKey(ctx, id[1])
	if err != nil || auth.SecretKey != key[1] || auth.User.ID != ann.ID {
		t.Fatalf("the shown key does not authenticate: %v", err)
	}
	list := b.get("/api-keys")
	wantStatus(t, list, http.StatusOK, id[1], "billing", "Active")
	if strings.Contains(list.Body, key[1]) || strings.Contains(list.Body, "new-secret-key") {
		t.Error("the secret key is shown again")
	}
	// A marketer sees only their own keys.
	if strings.Contains(list.Body, "bob&#39;s script") || strings.Contains(list.Body, "bob's script") {
		t.Error("ann sees bob's key")
	}
	wantStatus(t, b.post("/api-keys", "/api-keys", url.Values{"name": {strings.Repeat("n", 101)}}), http.StatusUnprocessableEntity, "Use at most 100 characters.")

	// Revoking needs the form's CSRF token.
	k, err := c.Store.Accounts.GetAPIKeyBySecretID(ctx, id[1])
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, b.postRaw("/api-keys/"+itoa(k.ID)+"/revoke", "_csrf=forged", nil), http.StatusForbidden)
	if _, err := c.Store.Accounts.AuthenticateAPIKey(ctx, id[1]); err != nil {
		t.Fatalf("a forged form revoked the key: %v", err)
	}
	// Nor can ann revoke bob's key.
	bobKeys, _ := c.Store.Accounts.ListAPIKeys(ctx, bob.ID)
	wantStatus(t, b.post("/api-keys", "/api-keys/"+itoa(bobKeys[0].ID)+"/revoke", nil), http.StatusNotFound)
	if _, err := c.Store.Accounts.AuthenticateAPIKey(ctx, bobKeys[0].SecretID); err != nil {
		t.Fatalf("ann revoked bob's key: %v", err)
	}

	p = b.post("/api-keys", "/api-keys/"+itoa(k.ID)+"/revoke", nil)
	wantStatus(t, p, http.StatusSeeOther)
	if _, err := c.Store.Accounts.AuthenticateAPIKey(ctx, id[1]); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("a revoked key still authenticates: %v", err)
	}
	wantStatus(t, b.get("/api-keys"), http.StatusOK, "revoked: requests signed with it are refused", "Revoked")

	// An admin sees everyone's keys, with their users, and may revoke them.
	admin := c.browser()
	admin.login("boss@example.com")
	all := admin.get("/api-keys")
	wantStatus(t, all, http.StatusOK, id[1], bobKeys[0].SecretID, "ann@example.com", "bob@example.com")
	wantStatus(t, admin.post("/api-keys", "/api-keys/"+itoa(bobKeys[0].ID)+"/revoke", nil), http.StatusSeeOther)
	if _, err := c.Store.Accounts.AuthenticateAPIKey(ctx, bobKeys[0].SecretID); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("the admin's revocation did not stop the key: %v", err)
	}

	// Signed out, nothing.
	wantStatus(t, c.browser().get("/api-keys"), http.StatusSeeOther)
}

func TestAPISMTPPage(t *testing.T) {
	c := newConsole(t)
	c.user("ann@example.com", accounts.RoleMarketer)
	b := c.browser()
	b.login("ann@example.com")
	// Without a configured public URL, the page names the address it was
	// reached at.
	host := strings.TrimPrefix(c.URL, "http://")
	p := b.get("/api-smtp")
	wantStatus(t, p, http.StatusOK, "API &amp; SMTP", `data-testid="api-endpoint">`+c.URL+`<`,
		`prof.HttpProfile.Endpoint, prof.HttpProfile.Scheme = &#34;`+host+`&#34;, &#34;http&#34;`, "SESAME_SMTPS_ADDR", "sesame api SendEmail")
}
