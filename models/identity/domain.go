package identity

import (
	"context"
	"crypto/rand"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
	"gorm.io/gorm"
)

// IdentityConfig is how sending domains must point at this installation.
type IdentityConfig struct {
	// BounceHost receives bounces: the MX of bounce.<domain> must name it.
	// It defaults to the host name of the public URL.
	BounceHost string
	// SPFInclude, when set, is what domains include in their SPF record
	// instead of listing the sending IPs one by one.
	SPFInclude string
	// PublicHost is the host name of the public URL, which links in mail
	// point at.
	PublicHost string
	// Sandbox says delivery keeps every message in the sandbox mailbox
	// (SESAME_DELIVERY=sandbox): nothing leaves the machine, so no receiver
	// reads a DNS record and DNS checks do not gate sending.
	Sandbox bool
	// Relay is the smarthost's host:port when delivery goes through one
	// (SESAME_DELIVERY=relay://…), empty otherwise.
	Relay string
}

// RelaySigns is the one rule for whether Sesame leaves a domain's mail
// unsigned for the relay to sign: when an admin said the relay signs for
// it, and delivery still goes through a relay. Mail delivered any other
// way is signed by Sesame whatever the domain says.
func (c IdentityConfig) RelaySigns(d *Domain) bool {
	return d != nil && d.RelaySigns && c.Relay != ""
}

// CanSend is the one rule for whether mail from a domain may be queued and
// delivered: once its DNS records are verified, or at once while delivery
// is the sandbox. A domain's own status stays what its records say.
func (c IdentityConfig) CanSend(d *Domain) bool {
	return d != nil && (c.Sandbox || d.Verified())
}

// LocalHost is a host name of this installation that is no use in public
// DNS, and the variable that sets it.
type LocalHost struct{ Host, Variable string }

// LocalOnlyHosts lists the installation's names that DNS records and links
// in mail would carry but no one on the internet can reach: IP literals
// (an MX record cannot name one), loopback addresses and localhost. Empty
// when both are public names.
func (c IdentityConfig) LocalOnlyHosts() []LocalHost {
	var out []LocalHost
	for _, h := range []LocalHost{{c.BounceHost, "SESAME_BOUNCE_HOST"}, {c.PublicHost, "SESAME_PUBLIC_URL"}} {
		h.Host = strings.ToLower(strings.TrimSuffix(strings.Trim(h.Host, "[]"), "."))
		if h.Host == "" || slices.ContainsFunc(out, func(o LocalHost) bool { return o.Host == h.Host }) {
			continue
		}
		if net.ParseIP(h.Host) != nil || h.Host == "localhost" || strings.HasSuffix(h.Host, ".localhost") {
			out = append(out, h)
		}
	}
	return out
}

// DomainStatus says whether a domain may send.
type DomainStatus string

const (
	DomainPending  DomainStatus = "pending"
	DomainVerified DomainStatus = "verified"
)

// Re-check intervals: pending domains are looked at often so a freshly
// published record is noticed; verified ones daily, to catch DNS drift.
const (
	PendingRecheckEvery  = 10 * time.Minute
	VerifiedRecheckEvery = 24 * time.Hour
)

// Domain is a sending domain. Name is lowercase ASCII (punycode for IDNs).
type Domain struct {
	ID               uint64
	Name             string
	VerifyToken      string
	Status           DomainStatus
	Drift            bool
	DriftReason      string
	VerifiedAt       *time.Time
	LastCheckedAt    *time.Time
	NextCheckAt      time.Time
	WarmupPlan       string
	WarmupDay        int
	WarmupLastSentOn string
	WarmupHoldReason string
	RelaySigns       bool // an admin said the relay signs its mail (IdentityConfig.RelaySigns)
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Verified reports whether the domain may send.
func (d *Domain) Verified() bool { return d.Status == DomainVerified }

// DisplayName is the domain in Unicode, as people type it.
func (d *Domain) DisplayName() string {
	if u, err := idna.Display.ToUnicode(d.Name); err == nil {
		return u
	}
	return d.Name
}

// BounceDomain is the domain of the envelope sender, bounce.<domain>.
func (d *Domain) BounceDomain() string { return "bounce." + d.Name }

// ValidateSendingDomain normalises a domain name someone wants to send from:
// the host of a pasted URL (https://Example.com/ is example.com), punycode,
// lowercase, at least one label below a public suffix, not an IP.
func ValidateSendingDomain(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		raw = rest
	}
	if i := strings.IndexAny(raw, "/?#"); i >= 0 {
		raw = raw[:i]
	}
	name, err := models.NormalizeDomain(raw)
	if err != nil {
		return "", models.Invalid("name", "The domain name "+err.Error()+".")
	}
	if net.ParseIP(strings.Trim(raw, "[] ")) != nil {
		return "", models.Invalid("name", "Enter a domain name, not an IP address.")
	}
	if !strings.Contains(name, ".") {
		return "", models.Invalid("name", "Enter a full domain name such as example.com.")
	}
	if _, err := publicsuffix.EffectiveTLDPlusOne(name); err != nil {
		return "", models.Invalid("name", name+" is a public suffix: enter a domain registered under it, such as example."+name+".")
	}
	return name, nil
}

// AddDomain registers a sending domain and generates its RSA DKIM key
// (2048 bits, or 1024 when asked, as Tencent's DKIMOption allows).
func (s *Domains) AddDomain(ctx context.Context, rawName string, rsaBits int) (*Domain, error) {
	name, err := ValidateSendingDomain(rawName)
	if err != nil {
		return nil, err
	}
	if rsaBits == 0 {
		rsaBits = 2048
	}
	key, err := s.newDKIMKey(DKIMRSA, rsaBits)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	d := &Domain{
		Name: name, VerifyToken: strings.ToLower(rand.Text()), Status: DomainPending,
		NextCheckAt: now, WarmupPlan: "standard", WarmupDay: 1, CreatedAt: now, UpdatedAt: now,
	}
	err = s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(d).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return models.Invalid("name", name+" is already added.")
			}
			return err
		}
		key.DomainID = d.ID
		key.Selector = "sesame1"
		return tx.Create(key).Error
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// ListDomains returns every domain by name.
func (s *Domains) ListDomains(ctx context.Context) ([]Domain, error) {
	var out []Domain
	err := s.Gorm.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
}

// ListSendableDomains returns the domains that can send now (CanSend):
// those new sender addresses may use.
func (s *Domains) ListSendableDomains(ctx context.Context) ([]Domain, error) {
	all, err := s.ListDomains(ctx)
	return slices.DeleteFunc(all, func(d Domain) bool { return !s.CanSend(&d) }), err
}

// GetDomain loads a domain by id.
func (s *Domains) GetDomain(ctx context.Context, id uint64) (*Domain, error) {
	var d Domain
	if err := s.Gorm.WithContext(ctx).Take(&d, id).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &d, nil
}

// GetDomainByName loads a domain by its name, in Unicode or punycode.
func (s *Domains) GetDomainByName(ctx context.Context, raw string) (*Domain, error) {
	name, err := models.NormalizeDomain(raw)
	if err != nil {
		return nil, models.ErrNotFound
	}
	var d Domain
	if err := s.Gorm.WithContext(ctx).Where("name = ?", name).Take(&d).Error; err != nil {
		return nil, db.NotFound(err)
	}
	return &d, nil
}

// SetRelaySigns says whether the relay signs the domain's mail instead of
// Sesame. It is refused unless delivery goes through a relay: mail that
// leaves any other way would go out with no DKIM signature at all.
// Turning it off is always allowed.
func (s *Domains) SetRelaySigns(ctx context.Context, id uint64, on bool) (*Domain, error) {
	if on && s.config.Relay == "" {
		how := "delivers straight to each recipient's mail servers (SESAME_DELIVERY=mx)"
		if s.config.Sandbox {
			how = "keeps every message in the sandbox (SESAME_DELIVERY=sandbox)"
		}
		return nil, models.Invalid("relay_signs", "Only a relay can sign for Sesame, and this installation "+how+
			": set SESAME_DELIVERY to relay://host:port for a relay that signs with DKIM first.")
	}
	res := s.Gorm.WithContext(ctx).Model(&Domain{ID: id}).Updates(map[string]any{"relay_signs": on, "updated_at": s.Now()})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, models.ErrNotFound
	}
	return s.GetDomain(ctx, id)
}

// DeleteDomain removes a domain with its keys, records, sender addresses, IP
// assignments and message history. It is refused while mail from the domain
// is still queued: deleting it would strand that mail.
func (s *Domains) DeleteDomain(ctx context.Context, id uint64) error {
	return s.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		// Locked first, so nobody queues mail from it meanwhile (holdDomain).
		if err := s.LockForUpdate(tx).Take(&d, id).Error; err != nil {
			return db.NotFound(err)
		}
		var pending int64
		if err := tx.Table("messages").Where("domain_id = ? AND "+models.PendingCondition, id).Count(&pending).Error; err != nil {
			return err
		}
		if pending > 0 {
			return models.Conflictf("%s still queued for %s. Wait until they are sent, or cancel them, before deleting the domain.", models.Plural(pending, "message is", "messages are"), d.Name)
		}
		// Messages have no foreign key to cascade along (0004_delivery.sql),
		// nor, partitioned on PostgreSQL (models/db/partitions.go), do their
		// events and reports.
		for _, q := range []string{
			"DELETE FROM message_events WHERE message_id IN (SELECT id FROM messages WHERE domain_id = ?)",
			"DELETE FROM message_reports WHERE message_id IN (SELECT id FROM messages WHERE domain_id = ?)",
			"UPDATE sandbox_messages SET message_id = NULL WHERE message_id IN (SELECT id FROM messages WHERE domain_id = ?)",
			"DELETE FROM messages WHERE domain_id = ?",
		} {
			if err := tx.Exec(q, id).Error; err != nil {
				return err
			}
		}
		return tx.Delete(&Domain{}, id).Error
	})
}

// DriftingDomains lists verified domains whose DNS no longer matches, for
// the dashboard.
func (s *Domains) DriftingDomains(ctx context.Context) ([]Domain, error) {
	var out []Domain
	err := s.Gorm.WithContext(ctx).Where("drift = ?", true).Order("name").Find(&out).Error
	return out, err
}

// holdDomain checks, in a transaction about to queue messages from a
// domain, that the domain exists, and on PostgreSQL keeps it so until the
// transaction ends (DeleteDomain locks the row to delete it). This is the
// check a foreign key on messages would make for every row; see
// 0004_delivery.sql for why messages have none.
func (s *Domains) HoldDomain(tx *gorm.DB, domainID uint64) error {
	return s.HoldRow(tx, &Domain{}, domainID)
}

// CanSend says whether mail from d may be queued and delivered (see
// IdentityConfig.CanSend).
func (s *Domains) CanSend(d *Domain) bool { return s.config.CanSend(d) }

// Identity is how domains must point at this installation.
func (s *Domains) Identity() IdentityConfig { return s.config }
