// Package identity is who Sesame sends as: sending domains with their DKIM
// keys, the DNS records they must publish and the checks of those records
// (SPF included), sender addresses with their SMTP passwords and
// unsubscribe settings, and the IP addresses mail leaves from.
package identity

import (
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
)

// Domains is the store of sending domains, their DKIM keys and DNS checks.
type Domains struct {
	*db.DB
	ips    *IPs // what a domain's SPF record must authorise
	config IdentityConfig
}

// Senders is the store of sender addresses.
type Senders struct {
	*db.DB
	domains  *Domains
	accounts *accounts.Accounts // hashes SMTP passwords
}

// IPs is the store of the addresses mail leaves from.
type IPs struct {
	*db.DB
}

// New builds the three stores; accounts hashes SMTP passwords.
func New(core *db.DB, accounts *accounts.Accounts, config IdentityConfig) (*Domains, *Senders, *IPs) {
	ips := &IPs{DB: core}
	domains := &Domains{DB: core, ips: ips, config: config}
	return domains, &Senders{DB: core, domains: domains, accounts: accounts}, ips
}
