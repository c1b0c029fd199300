package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/views/components"
	"github.com/sesame-email/sesame/web"
)

// IPService is what the admin's IPs & warm-up pages need.
type IPService interface {
	ListSendingIPs(ctx context.Context) ([]identity.SendingIP, error)
	GetSendingIP(ctx context.Context, id uint64) (*identity.SendingIP, error)
	AddSendingIP(ctx context.Context, in identity.NewSendingIP) (*identity.SendingIP, error)
	UpdateSendingIP(ctx context.Context, id uint64, ch identity.SendingIPChange) (*identity.SendingIP, error)
	DeleteSendingIP(ctx context.Context, id uint64) error
}

// IdentityInfo is how domains must point here, and the domains an address
// may be dedicated to.
type IdentityInfo interface {
	ListDomains(ctx context.Context) ([]identity.Domain, error)
	Identity() identity.IdentityConfig
}

// RetentionInfo says how far back messages go.
type RetentionInfo interface {
	OldestDay(ctx context.Context) (*time.Time, error)
}

// IPs serves the sending addresses and the warm-up of domains and IPs.
type IPs struct {
	svc       IPService
	warmup    WarmupService
	identity  IdentityInfo
	retention RetentionInfo
	keep      time.Duration // SESAME_RETENTION
	clock     models.Clock
}

// NewIPs builds the IP handlers.
func NewIPs(svc IPService, warmup WarmupService, identity IdentityInfo, retention RetentionInfo, keep time.Duration, clock models.Clock) *IPs {
	return &IPs{svc: svc, warmup: warmup, identity: identity, retention: retention, keep: keep, clock: clock}
}

// page fills the IPs & warm-up page around the state of its forms.
func (h *IPs) page(ctx context.Context, form views.IPsPage) (views.IPsPage, error) {
	ips, err := h.svc.ListSendingIPs(ctx)
	if err != nil {
		return form, err
	}
	if form.Warmup, err = h.warmup.WarmupOverview(ctx); err != nil {
		return form, err
	}
	if form.Plans, err = h.warmup.ListWarmupPlans(ctx); err != nil {
		return form, err
	}
	form.BounceHost = h.identity.Identity().BounceHost
	form.Retention = h.keep
	if form.OldestMessage, err = h.retention.OldestDay(ctx); err != nil {
		return form, err
	}
	if form.Throttles, err = h.warmup.ThrottlesUntil(ctx, h.clock.Now()); err != nil {
		return form, err
	}
	for _, ip := range ips {
		form.Rows = append(form.Rows, views.IPRow{IP: ip, Configured: ip.IsDefaultRoute() || identity.IPConfiguredHere(ip.Address)})
	}
	return form, nil
}

func (h *IPs) List(c echo.Context) error {
	p, err := h.page(c.Request().Context(), views.IPsPage{Pool: string(identity.PoolShared)})
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.IPs(p))
}

func (h *IPs) Create(c echo.Context) error {
	ctx := c.Request().Context()
	in := identity.NewSendingIP{Address: c.FormValue("address"), HeloHost: c.FormValue("helo_host"), Pool: identity.IPPool(c.FormValue("pool"))}
	ip, err := h.svc.AddSendingIP(ctx, in)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		p, perr := h.page(ctx, views.IPsPage{Address: in.Address, HeloHost: in.HeloHost, Pool: string(in.Pool), Errors: verr})
		if perr != nil {
			return perr
		}
		return web.Render(c, http.StatusUnprocessableEntity, views.IPs(p))
	}
	if err != nil {
		return err
	}
	if !identity.IPConfiguredHere(ip.Address) {
		return web.FlashAndRedirect(c, components.FlashInfo, "/admin/ips",
			ip.Address+" is registered, but this host has no interface with that address: connections from it will fail until it is configured.")
	}
	return web.RedirectWithFlash(c, "/admin/ips", ip.Address+" registered.")
}

func (h *IPs) form(ctx context.Context, ip *identity.SendingIP) (views.IPEditForm, error) {
	f := views.IPEditForm{IP: *ip, HeloHost: ip.HeloHost, Pool: string(ip.Pool), Assigned: map[uint64]bool{}}
	for _, d := range ip.Domains {
		f.Assigned[d.ID] = true
	}
	var err error
	f.Domains, err = h.identity.ListDomains(ctx)
	return f, err
}

func (h *IPs) Edit(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	ip, err := h.svc.GetSendingIP(ctx, id)
	if err != nil {
		return err
	}
	f, err := h.form(ctx, ip)
	if err != nil {
		return err
	}
	return web.Render(c, http.StatusOK, views.IPEdit(f))
}

func (h *IPs) Update(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	ch := identity.SendingIPChange{HeloHost: c.FormValue("helo_host"), Pool: identity.IPPool(c.FormValue("pool"))}
	params, _ := c.FormParams()
	for _, raw := range params["domain"] {
		did, err := models.ParseID(raw)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "The domain list could not be read. Reload the page and try again.")
		}
		ch.DomainIDs = append(ch.DomainIDs, did)
	}
	ip, err := h.svc.UpdateSendingIP(ctx, id, ch)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		current, gerr := h.svc.GetSendingIP(ctx, id)
		if gerr != nil {
			return gerr
		}
		f, ferr := h.form(ctx, current)
		if ferr != nil {
			return ferr
		}
		f.HeloHost, f.Pool, f.Errors = ch.HeloHost, string(ch.Pool), verr
		return web.Render(c, http.StatusUnprocessableEntity, views.IPEdit(f))
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/admin/ips", ip.Label()+" saved. Domains whose addresses changed are re-checked for SPF.")
}

func (h *IPs) Delete(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := web.IDParam(c, "id")
	if err != nil {
		return err
	}
	ip, err := h.svc.GetSendingIP(ctx, id)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteSendingIP(ctx, id); err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/admin/ips", ip.Address+" removed.")
}
