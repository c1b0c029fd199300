package api

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/sesame-email/sesame/handlers/api/wire"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/identity"
	"github.com/sesame-email/sesame/models/queue"
)

// Sending domains: Create/Get/List/Update (re-verify)/DeleteEmailIdentity.

const identityTypeDomain = "DOMAIN"

func toTags(in []wire.TagList) []identity.Tag {
	out := make([]identity.Tag, len(in))
	for i, t := range in {
		out[i] = identity.Tag{Key: t.TagKey, Value: t.TagValue}
	}
	return out
}

func (h *identityActions) identity(ctx context.Context, d *identity.Domain, recs []identity.DNSRecord) (*wire.IdentityResponse, error) {
	if recs == nil {
		var err error
		if recs, err = h.domains.DomainRecords(ctx, d); err != nil {
			return nil, err
		}
	}
	out := &wire.IdentityResponse{IdentityType: identityTypeDomain, VerifiedForSendingStatus: d.Verified(), Attributes: []wire.DnsAttributes{}}
	for _, r := range recs {
		out.Attributes = append(out.Attributes, wire.DnsAttributes{Type: r.Type, SendDomain: r.Name, ExpectedValue: r.Value,
			CurrentValue: r.Current, Status: r.Passed()})
	}
	return out, nil
}

func (h *identityActions) domainByName(ctx context.Context, name string) (*identity.Domain, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errf(wire.CodeMissingParameter, "EmailIdentity is required: the sending domain, such as mail.example.com.")
	}
	d, err := h.domains.GetDomainByName(ctx, name)
	if errors.Is(err, models.ErrNotFound) {
		return nil, errf(wire.CodeNotExistDomain, "%s is not a sending domain here.", truncate(name, 253))
	}
	return d, err
}

func (h *identityActions) createEmailIdentity(ctx context.Context, _ *Caller, req *wire.CreateEmailIdentityRequest) (*wire.IdentityResponse, error) {
	if strings.TrimSpace(req.EmailIdentity) == "" {
		return nil, errf(wire.CodeMissingParameter, "EmailIdentity is required: the sending domain, such as mail.example.com.")
	}
	bits := 2048
	if req.DKIMOption != nil {
		switch *req.DKIMOption {
		case 0:
			bits = 1024
		case 1:
			bits = 2048
		default:
			return nil, errf(wire.CodeInvalidParameterValue, "DKIMOption is 0 (1024-bit key) or 1 (2048-bit key).")
		}
	}
	tags := toTags(req.TagList)
	if err := identity.ValidateTags(tags); err != nil {
		return nil, err
	}
	name, err := identity.ValidateSendingDomain(req.EmailIdentity)
	if err != nil {
		return nil, err
	}
	if _, err := h.domains.GetDomainByName(ctx, name); err == nil {
		return nil, errf(wire.CodeRepeatCreation, "%s is already a sending domain.", name)
	}
	d, err := h.domains.AddDomain(ctx, name, bits)
	if err != nil {
		return nil, err
	}
	if len(tags) > 0 {
		if err := h.domains.SetDomainTags(ctx, d.ID, tags); err != nil {
			return nil, err
		}
	}
	return h.identity(ctx, d, nil)
}

func (h *identityActions) getEmailIdentity(ctx context.Context, _ *Caller, req *wire.EmailIdentityRequest) (*wire.IdentityResponse, error) {
	d, err := h.domainByName(ctx, req.EmailIdentity)
	if err != nil {
		return nil, err
	}
	return h.identity(ctx, d, nil)
}

// updateEmailIdentity looks every record up again, as "Check now".
func (h *identityActions) updateEmailIdentity(ctx context.Context, _ *Caller, req *wire.EmailIdentityRequest) (*wire.IdentityResponse, error) {
	d, err := h.domainByName(ctx, req.EmailIdentity)
	if err != nil {
		return nil, err
	}
	d, recs, err := h.domains.VerifyDomain(ctx, h.dns, d.ID)
	if err != nil {
		return nil, err
	}
	return h.identity(ctx, d, recs)
}

func (h *identityActions) deleteEmailIdentity(ctx context.Context, _ *Caller, req *wire.EmailIdentityRequest) (*wire.Empty, error) {
	d, err := h.domainByName(ctx, req.EmailIdentity)
	if err != nil {
		return nil, err
	}
	if err := h.domains.DeleteDomain(ctx, d.ID); err != nil {
		return nil, err
	}
	return &wire.Empty{}, nil
}

// Warm-up levels as Tencent reports reputation: 1 to 20, the day of the
// plan; a domain without warm-up is at the top with no daily limit.
const (
	maxReputationLevel = 20
	unlimitedQuota     = math.MaxInt32
)

func (h *identityActions) listEmailIdentities(ctx context.Context, _ *Caller, req *wire.ListEmailIdentitiesRequest) (*wire.ListEmailIdentitiesResponse, error) {
	limit, err := pageLimit(req.Limit, 100)
	if err != nil {
		return nil, err
	}
	domains, err := h.domains.ListDomains(ctx)
	if err != nil {
		return nil, err
	}
	tags, err := h.domains.DomainTags(ctx)
	if err != nil {
		return nil, err
	}
	warmup, err := h.queue.WarmupOverview(ctx)
	if err != nil {
		return nil, err
	}
	status := map[uint64]queue.WarmupStatus{}
	for _, w := range warmup {
		if w.Kind == queue.WarmupDomain {
			status[w.ID] = w
		}
	}
	want := toTags(req.TagList)
	out := &wire.ListEmailIdentitiesResponse{EmailIdentities: []wire.EmailIdentity{}}
	var selected []identity.Domain
	for _, d := range domains {
		if identity.HasTags(tags[d.ID], want) {
			selected = append(selected, d)
		}
	}
	out.Total = uint64(len(selected))
	for i, d := range selected {
		level, quota := reputation(status[d.ID])
		out.MaxReputationLevel = max(out.MaxReputationLevel, level)
		out.MaxDailyQuota = max(out.MaxDailyQuota, quota)
		if uint64(i) < req.Offset || uint64(len(out.EmailIdentities)) >= limit {
			continue
		}
		ips, err := h.ips.SendingIPsForDomain(ctx, d.ID)
		if err != nil {
			return nil, err
		}
		id := wire.EmailIdentity{IdentityName: d.Name, IdentityType: identityTypeDomain, SendingEnabled: d.Verified(),
			CurrentReputationLevel: level, DailyQuota: quota, SendIp: []string{}, TagList: []wire.TagList{}}
		for _, ip := range ips {
			if !ip.IsDefaultRoute() {
				id.SendIp = append(id.SendIp, ip.Address)
			}
		}
		for _, t := range tags[d.ID] {
			id.TagList = append(id.TagList, wire.TagList{TagKey: t.Key, TagValue: t.Value})
		}
		out.EmailIdentities = append(out.EmailIdentities, id)
	}
	return out, nil
}

func reputation(w queue.WarmupStatus) (level, quota uint64) {
	if w.Unlimited || w.Day == 0 {
		return maxReputationLevel, unlimitedQuota
	}
	return uint64(min(max(w.Day, 1), maxReputationLevel)), uint64(max(w.Quota, 0))
}

// pageLimit reads an optional Limit of at most most (Tencent's cap);
// absent or 0 is most.
func pageLimit(limit *uint64, most uint64) (uint64, error) {
	switch {
	case limit == nil || *limit == 0:
		return most, nil
	case *limit > most:
		return 0, errf(wire.CodeInvalidLimit, "Limit may be at most %d.", most)
	}
	return *limit, nil
}

// identityActions serves its resource's actions.
type identityActions struct {
	dates
	dns     identity.DNSLookup
	domains identityDomains
	ips     identityIps
	queue   identityQueue
}

// identityDomains is what identityActions need of the domains.
type identityDomains interface {
	AddDomain(ctx context.Context, name string, rsaBits int) (*identity.Domain, error)
	DeleteDomain(ctx context.Context, id uint64) error
	DomainRecords(ctx context.Context, d *identity.Domain) ([]identity.DNSRecord, error)
	DomainTags(ctx context.Context) (map[uint64][]identity.Tag, error)
	GetDomainByName(ctx context.Context, name string) (*identity.Domain, error)
	ListDomains(ctx context.Context) ([]identity.Domain, error)
	SetDomainTags(ctx context.Context, domainID uint64, tags []identity.Tag) error
	VerifyDomain(ctx context.Context, dns identity.DNSLookup, id uint64) (*identity.Domain, []identity.DNSRecord, error)
}

// identityIps is what identityActions need of the ips.
type identityIps interface {
	SendingIPsForDomain(ctx context.Context, domainID uint64) ([]identity.SendingIP, error)
}

// identityQueue is what identityActions need of the queue.
type identityQueue interface {
	WarmupOverview(ctx context.Context) ([]queue.WarmupStatus, error)
}
