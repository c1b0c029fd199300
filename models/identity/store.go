// Package identity is who Sesame sends as: sending domains with their DKIM
// keys, the DNS records they must publish and the checks of those records
// (SPF included), sender addresses with their SMTP passwords and
// unsubscribe settings, and the IP addresses mail leaves from.
package identity

import (
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
)

// Identities is the store of domains, DKIM keys, sender addresses and IPs.
type Identities struct {
	*db.DB
	accounts *accounts.Accounts
	config   IdentityConfig
}

// New builds the store; accounts hashes SMTP passwords.
func New(core *db.DB, accounts *accounts.Accounts, config IdentityConfig) *Identities {
	return &Identities{DB: core, accounts: accounts, config: config}
}
