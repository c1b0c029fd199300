package identity

import (
	"context"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"gorm.io/gorm"
)

// IPPool says who sends from an address: every domain without a dedicated
// IP (shared), or only the domains it is assigned to (dedicated).
type IPPool string

const (
	PoolShared    IPPool = "shared"
	PoolDedicated IPPool = "dedicated"
)

// SendingIP is an address outbound connections leave from. The entry with an
// empty Address is the host's default route: no explicit bind, the address
// the operating system picks.
type SendingIP struct {
	ID               uint64
	Address          string
	HeloHost         string
	Pool             IPPool
	WarmupPlan       string
	WarmupDay        int
	WarmupLastSentOn string
	WarmupHoldReason string
	CreatedAt        time.Time
	UpdatedAt        time.Time

	Domains []Domain `gorm:"many2many:domain_ips;joinForeignKey:ip_id;joinReferences:domain_id"`
}

// IsDefaultRoute reports the "no explicit bind" entry.
func (ip *SendingIP) IsDefaultRoute() bool { return ip.Address == "" }

// Label is the address, or what the default route means.
func (ip *SendingIP) Label() string { return SourceLabel(ip.Address) }

// SourceLabel names a source address for people: "" is the default route.
func SourceLabel(address string) string {
	if address == "" {
		return "Default route"
	}
	return address
}

// NewSendingIP is an admin's registration of an address.
type NewSendingIP struct {
	Address  string
	HeloHost string
	Pool     IPPool
}

// IPConfiguredHere reports whether this host has the address on one of its
// interfaces (loopback 127.0.0.0/8 always counts, which is how tests bind
// to 127.0.0.2), so Sesame can bind outbound connections to it.
func IPConfiguredHere(addr string) bool {
	ip := net.ParseIP(addr)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

func validateSendingIP(in NewSendingIP, verr *models.ValidationError) (string, string) {
	ip := net.ParseIP(strings.TrimSpace(in.Address))
	switch {
	case ip == nil:
		verr.Add("address", "Enter an IPv4 or IPv6 address, such as 203.0.113.10.")
	case ip.IsUnspecified() || ip.IsMulticast():
		verr.Add("address", "This address cannot send mail.")
	}
	helo := validateHeloHost(in.HeloHost, verr)
	if in.Pool != PoolShared && in.Pool != PoolDedicated {
		verr.Add("pool", "Choose shared or dedicated.")
	}
	if ip == nil {
		return "", helo
	}
	return ip.String(), helo
}

// AddSendingIP registers an address.
func (s *IPs) AddSendingIP(ctx context.Context, in NewSendingIP) (*SendingIP, error) {
	verr := &models.ValidationError{}
	addr, helo := validateSendingIP(in, verr)
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	now := s.Now()
	ip := &SendingIP{Address: addr, HeloHost: helo, Pool: in.Pool, WarmupPlan: "standard", WarmupDay: 1, CreatedAt: now, UpdatedAt: now}
	if in.Pool == PoolShared {
		ip.WarmupPlan = "none"
	}
	if err := s.Gorm.WithContext(ctx).Omit("Domains").Create(ip).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return nil, models.Invalid("address", addr+" is already registered.")
		}
		return nil, err
	}
	return ip, nil
}

// ListSendingIPs returns every address with the domains it is dedicated to.
func (s *IPs) ListSendingIPs(ctx context.Context) ([]SendingIP, error) {
	var out []SendingIP
	err := s.Gorm.WithContext(ctx).Preload("Domains", func(db *gorm.DB) *gorm.DB { return db.Order("name") }).
		Order("address").Find(&out).Error
	return out, err
}

// GetSendingIP loads one address with its domains.
func (s *IPs) GetSendingIP(ctx context.Context, id uint64) (*SendingIP, error) {
	var ip SendingIP
	if err := s.Gorm.WithContext(ctx).Preload("Domains").Take(&ip, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &ip, nil
}

// GetSendingIPByAddress loads a registered address, written in any form
// net.ParseIP reads.
func (s *IPs) GetSendingIPByAddress(ctx context.Context, raw string) (*SendingIP, error) {
	ip := net.ParseIP(strings.TrimSpace(raw))
	if ip == nil {
		return nil, models.ErrNotFound
	}
	var out SendingIP
	if err := s.Gorm.WithContext(ctx).Where("address = ?", ip.String()).Take(&out).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &out, nil
}

// SendingIPChange is an admin's edit of an address.
type SendingIPChange struct {
	HeloHost  string
	Pool      IPPool
	DomainIDs []uint64 // for a dedicated address
}

// UpdateSendingIP changes the HELO name, the pool and, for a dedicated
// address, the domains it serves. Moving an address to the shared pool
// drops its assignments. Domains whose sending addresses change are queued
// for a DNS re-check, since their SPF record must follow.
func (s *IPs) UpdateSendingIP(ctx context.Context, id uint64, ch SendingIPChange) (*SendingIP, error) {
	verr := &models.ValidationError{}
	current, err := s.GetSendingIP(ctx, id)
	if err != nil {
		return nil, err
	}
	helo := ""
	if current.IsDefaultRoute() {
		if ch.Pool != PoolShared {
			verr.Add("pool", "The default route always belongs to the shared pool.")
		}
		if strings.TrimSpace(ch.HeloHost) != "" { // empty: greet with the bounce host
			helo = validateHeloHost(ch.HeloHost, verr)
		}
	} else {
		_, helo = validateSendingIP(NewSendingIP{Address: current.Address, HeloHost: ch.HeloHost, Pool: ch.Pool}, verr)
	}
	if err := verr.OrNil(); err != nil {
		return nil, err
	}
	if ch.Pool == PoolShared {
		ch.DomainIDs = nil
	}
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&SendingIP{ID: id}).Updates(map[string]any{"helo_host": helo, "pool": ch.Pool, "updated_at": s.Now()}).Error; err != nil {
			return err
		}
		var before []uint64
		if err := tx.Table("domain_ips").Where("ip_id = ?", id).Pluck("domain_id", &before).Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM domain_ips WHERE ip_id = ?", id).Error; err != nil {
			return err
		}
		for _, did := range ch.DomainIDs {
			if err := tx.Exec("INSERT INTO domain_ips (domain_id, ip_id) VALUES (?, ?)", did, id).Error; err != nil {
				return db.NotFound(err)
			}
		}
		return recheckSoon(tx, s.Now(), append(before, ch.DomainIDs...))
	})
	if err != nil {
		return nil, err
	}
	return s.GetSendingIP(ctx, id)
}

func validateHeloHost(raw string, verr *models.ValidationError) string {
	helo, err := models.NormalizeDomain(raw)
	if err != nil || !strings.Contains(helo, ".") {
		verr.Add("helo_host", "Enter the host name this address greets with (its PTR name), such as mta1.example.com.")
		return ""
	}
	return helo
}

// DeleteSendingIP removes a registered address; the default route stays.
func (s *IPs) DeleteSendingIP(ctx context.Context, id uint64) error {
	ip, err := s.GetSendingIP(ctx, id)
	if err != nil {
		return err
	}
	if ip.IsDefaultRoute() {
		return models.Conflictf("The default route cannot be removed: it is how a fresh install sends.")
	}
	ids := make([]uint64, 0, len(ip.Domains))
	for _, d := range ip.Domains {
		ids = append(ids, d.ID)
	}
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Delete(&SendingIP{}, id).Error; err != nil {
			return err
		}
		return recheckSoon(tx, s.Now(), ids)
	})
}

// recheckSoon makes the DNS checker look at domains at once.
func recheckSoon(tx *gorm.DB, now time.Time, domainIDs []uint64) error {
	if len(domainIDs) == 0 {
		return nil
	}
	return tx.Model(&Domain{}).Where("id IN ?", domainIDs).Update("next_check_at", now).Error
}

// SendingIPsForDomain is where a domain's mail leaves from (sourcePool):
// what claims choose from and what its SPF record must authorise.
func (s *IPs) SendingIPsForDomain(ctx context.Context, domainID uint64) ([]SendingIP, error) {
	db := s.Gorm.WithContext(ctx)
	var all []SendingIP
	if err := db.Order("address").Find(&all).Error; err != nil {
		return nil, err
	}
	var dedicated []uint64
	if err := db.Table("domain_ips").Where("domain_id = ?", domainID).Pluck("ip_id", &dedicated).Error; err != nil {
		return nil, err
	}
	pool := SourcePool(all, dedicated)
	out := make([]SendingIP, len(pool))
	for i, ip := range pool {
		out[i] = *ip
	}
	return out, nil
}

// sourcePool is the one rule for where a domain's mail may leave from,
// given every registered address (in address order) and the ids of those
// dedicated to the domain: its dedicated addresses, or else the whole
// shared pool, the default route included.
func SourcePool(all []SendingIP, dedicated []uint64) []*SendingIP {
	var pool []*SendingIP
	for i := range all {
		if slices.Contains(dedicated, all[i].ID) {
			pool = append(pool, &all[i])
		}
	}
	if len(pool) > 0 {
		return pool
	}
	for i := range all {
		if all[i].Pool == PoolShared {
			pool = append(pool, &all[i])
		}
	}
	return pool
}
