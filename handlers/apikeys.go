package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/web"
)

// APIKeyService is what the API keys page needs.
type APIKeyService interface {
	ListAPIKeys(ctx context.Context, userID uint64) ([]accounts.APIKey, error)
	GetAPIKey(ctx context.Context, id uint64) (*accounts.APIKey, error)
	CreateAPIKey(ctx context.Context, userID uint64, name string) (*accounts.APIKey, string, error)
	RevokeAPIKey(ctx context.Context, id uint64) error
}

// APIKeys serves the API keys page: everyone manages their own keys, and
// admins everyone's.
type APIKeys struct{ svc APIKeyService }

// NewAPIKeys builds the API key handlers.
func NewAPIKeys(svc APIKeyService) *APIKeys { return &APIKeys{svc: svc} }

// visibleTo is whose keys a user sees: everyone's (0) for admins.
func visibleTo(u *accounts.User) uint64 {
	if u.IsAdmin() {
		return 0
	}
	return u.ID
}

func (h *APIKeys) page(c echo.Context, p views.APIKeysPage) (views.APIKeysPage, error) {
	var err error
	p.Keys, err = h.svc.ListAPIKeys(c.Request().Context(), visibleTo(web.CurrentUser(c)))
	return p, err
}

func (h *APIKeys) List(c echo.Context) error {
	p, err := h.page(c, views.APIKeysPage{})
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.APIKeys(p))
}

// Create makes a key for the signed-in user and shows its secret key on
// the answer itself: it is never stored in the session, nor shown again.
func (h *APIKeys) Create(c echo.Context) error {
	u := web.CurrentUser(c)
	k, secret, err := h.svc.CreateAPIKey(c.Request().Context(), u.ID, c.FormValue("name"))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p, perr := h.page(c, views.APIKeysPage{Name: c.FormValue("name"), Errors: verr})
		if perr != nil {
			return perr
		}
		return web.Render(c, http.StatusUnprocessableEntity, views.APIKeys(p))
	}
	if err != nil {
		return err
	}
	p, err := h.page(c, views.APIKeysPage{Created: k, SecretKey: secret, Env: EnvExample(k.SecretID, secret)})
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusCreated, views.APIKeys(p))
}

// Revoke stops a key at once. Someone else's key is not found unless the
// user is an admin.
func (h *APIKeys) Revoke(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	k, err := h.svc.GetAPIKey(ctx, id)
	if err != nil {
		return err
	}
	if u := web.CurrentUser(c); !u.IsAdmin() && k.UserID != u.ID {
		return models.ErrNotFound
	}
	if err := h.svc.RevokeAPIKey(ctx, id); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/api-keys", "Key "+k.SecretID+" revoked: requests signed with it are refused.")
}
