package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/views"
	"github.com/sesame-email/sesame/views/components"
	"github.com/sesame-email/sesame/web"
)

// DomainService is what the domain pages need.
type DomainService interface {
	ListDomains(ctx context.Context) ([]identity.Domain, error)
	GetDomainByName(ctx context.Context, name string) (*identity.Domain, error)
	AddDomain(ctx context.Context, name string, rsaBits int) (*identity.Domain, error)
	DeleteDomain(ctx context.Context, id uint64) error
	DomainRecords(ctx context.Context, d *identity.Domain) ([]identity.DNSRecord, error)
	DKIMKeys(ctx context.Context, domainID uint64) ([]identity.DKIMKey, error)
	AddDKIMKey(ctx context.Context, domainID uint64, alg identity.DKIMAlgorithm) (*identity.DKIMKey, error)
	SetRelaySigns(ctx context.Context, id uint64, on bool) (*identity.Domain, error)
	VerifyDomain(ctx context.Context, dns identity.DNSLookup, id uint64) (*identity.Domain, []identity.DNSRecord, error)
	DomainTags(ctx context.Context) (map[uint64][]identity.Tag, error)
	Identity() identity.IdentityConfig
	CanSend(d *identity.Domain) bool
}

// SenderLister lists sender addresses.
type SenderLister interface {
	ListSenders(ctx context.Context) ([]identity.SenderAddress, error)
}

// SourceLister says where a domain's mail leaves from.
type SourceLister interface {
	SendingIPsForDomain(ctx context.Context, domainID uint64) ([]identity.SendingIP, error)
}

// Domains serves sending domains: list and records for everyone, changes
// for admins.
type Domains struct {
	svc     DomainService
	senders SenderLister
	sources SourceLister
	dns     identity.DNSLookup
}

// NewDomains builds the domain handlers; dns answers "Check now".
func NewDomains(svc DomainService, senders SenderLister, sources SourceLister, dns identity.DNSLookup) *Domains {
	return &Domains{svc: svc, senders: senders, sources: sources, dns: dns}
}

func (h *Domains) List(c echo.Context) error {
	ctx := c.Request().Context()
	domains, err := h.svc.ListDomains(ctx)
	if err != nil {
		return err
	}
	rows := make([]views.DomainRow, 0, len(domains))
	for _, d := range domains {
		ips, err := h.sources.SendingIPsForDomain(ctx, d.ID)
		if err != nil {
			return err
		}
		rows = append(rows, views.DomainRow{Domain: d, Sending: ips})
	}
	return web.Render(c, http.StatusOK, views.DomainList(rows))
}

func (h *Domains) New(c echo.Context) error {
	return web.Render(c, http.StatusOK, views.DomainNew(views.DomainForm{KeySize: "2048"}))
}

func (h *Domains) Create(c echo.Context) error {
	form := views.DomainForm{Name: c.FormValue("name"), KeySize: c.FormValue("key_size")}
	bits, err := strconv.Atoi(form.KeySize)
	if err != nil {
		bits = 2048
	}
	d, err := h.svc.AddDomain(c.Request().Context(), form.Name, bits)
	if errors.As(err, &form.Errors) {
		return web.Render(c, http.StatusUnprocessableEntity, views.DomainNew(form))
	}
	if err != nil {
		return err
	}
	msg := "Domain added: publish the records below, then check."
	if typed := strings.TrimSpace(form.Name); typed != d.DisplayName() {
		msg = "Domain added as " + d.DisplayName() + " (from “" + typed + "”): publish the records below, then check."
	}
	return web.RedirectWithFlash(c, "/domains/"+d.Name, msg)
}

func (h *Domains) Show(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.svc.GetDomainByName(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	cfg := h.svc.Identity()
	page := views.DomainPage{Domain: d, LocalHosts: cfg.LocalOnlyHosts(), CanSend: h.svc.CanSend(d), Relay: cfg.Relay, RelaySigns: cfg.RelaySigns(d)}
	if page.Records, err = h.svc.DomainRecords(ctx, d); err != nil {
		return err
	}
	if page.Keys, err = h.svc.DKIMKeys(ctx, d.ID); err != nil {
		return err
	}
	if page.Sending, err = h.sources.SendingIPsForDomain(ctx, d.ID); err != nil {
		return err
	}
	tags, err := h.svc.DomainTags(ctx)
	if err != nil {
		return err
	}
	page.Tags = tags[d.ID]
	senders, err := h.senders.ListSenders(ctx)
	if err != nil {
		return err
	}
	for _, s := range senders {
		if s.DomainID == d.ID {
			page.Senders = append(page.Senders, s)
		}
	}
	return web.Render(c, http.StatusOK, views.DomainShow(page))
}

// Verify is "Check now": look every record up and report.
func (h *Domains) Verify(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.svc.GetDomainByName(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	wasVerified := d.Verified()
	d, recs, err := h.svc.VerifyDomain(ctx, h.dns, d.ID)
	if err != nil {
		return err
	}
	path := "/domains/" + d.Name
	switch {
	case d.Verified() && !wasVerified:
		return web.RedirectWithFlash(c, path, d.Name+" is verified: it can send now.")
	case d.Drift:
		return web.FlashAndRedirect(c, components.FlashError, path, d.DriftReason)
	case d.Verified():
		return web.RedirectWithFlash(c, path, "All required records are still in place.")
	}
	waiting := 0
	for _, r := range recs {
		if r.Required && !r.Passed() {
			waiting++
		}
	}
	return web.FlashAndRedirect(c, components.FlashInfo, path, strconv.Itoa(waiting)+" required record(s) not verified yet; see each record below.")
}

func (h *Domains) AddKey(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.svc.GetDomainByName(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	k, err := h.svc.AddDKIMKey(ctx, d.ID, identity.DKIMAlgorithm(c.FormValue("algorithm")))
	var conflict *models.ConflictError
	if errors.As(err, &conflict) {
		return web.FlashAndRedirect(c, components.FlashError, "/domains/"+d.Name, conflict.Message)
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/domains/"+d.Name, "New "+k.Label()+" key "+k.Selector+": publish its record below.")
}

// SetSigning chooses who signs the domain's mail: Sesame, or the relay.
func (h *Domains) SetSigning(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.svc.GetDomainByName(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	on := c.FormValue("relay_signs") == "on"
	d, err = h.svc.SetRelaySigns(ctx, d.ID, on)
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return web.FlashAndRedirect(c, components.FlashError, "/domains/"+c.Param("name"), verr.Field("relay_signs"))
	}
	if err != nil {
		return err
	}
	if on {
		return web.RedirectWithFlash(c, "/domains/"+d.Name, "The relay signs "+d.Name+"'s mail: Sesame sends it without a DKIM signature of its own (deliveries under way follow within a minute).")
	}
	return web.RedirectWithFlash(c, "/domains/"+d.Name, "Sesame signs "+d.Name+"'s mail with its own DKIM key again (deliveries under way follow within a minute).")
}

func (h *Domains) Delete(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := h.svc.GetDomainByName(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	err = h.svc.DeleteDomain(ctx, d.ID)
	var conflict *models.ConflictError
	if errors.As(err, &conflict) {
		return web.FlashAndRedirect(c, components.FlashError, "/domains/"+d.Name, conflict.Message)
	}
	if err != nil {
		return err
	}
	return web.RedirectWithFlash(c, "/domains", d.Name+" deleted.")
}
