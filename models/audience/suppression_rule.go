package audience

import (
	"strings"
	"time"

	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
)

// Stops is the suppression rule: whether the entry stops mail to email
// from senderDomain at now. It must be active, for every sender or for
// that sender's domain (an unsubscribe), and name the address or its
// domain. The statements that work over many recipients at once use the
// same rule as SQL (SuppressedSQL); a test holds the two to one table.
func (s *Suppression) Stops(email, senderDomain string, now time.Time) bool {
	if !s.ActiveAt(now) || (s.ScopeDomain != "" && s.ScopeDomain != strings.ToLower(senderDomain)) {
		return false
	}
	addr := strings.ToLower(strings.TrimSpace(email))
	switch s.Kind {
	case SuppressAddress:
		return s.Value == addr
	case SuppressDomain:
		return s.Value == models.DomainOf(addr)
	}
	return false
}

// SuppressionActiveSQL is true of a suppression x that applies now to mail
// from the sender's domain: the named arguments @now and @sender_domain.
const SuppressionActiveSQL = `(x.expires_at IS NULL OR x.expires_at > @now) AND (x.scope_domain = '' OR x.scope_domain = @sender_domain)`

// AddressSuppressedSQL is true when an entry for the address in column
// email (lower case, as recipients are kept) stops mail to it.
func AddressSuppressedSQL(email string) string {
	return `EXISTS (SELECT 1 FROM suppressions x WHERE x.kind = 'address' AND x.value = ` + email + ` AND ` + SuppressionActiveSQL + `)`
}

// DomainSuppressedSQL is true when an entry for the domain expression
// domain stops mail to it.
func DomainSuppressedSQL(domain string) string {
	return `EXISTS (SELECT 1 FROM suppressions x WHERE x.kind = 'domain' AND x.value = ` + domain + ` AND ` + SuppressionActiveSQL + `)`
}

// SuppressedSQL is Stops as SQL, for the address in column email.
func SuppressedSQL(dialect db.Dialect, email string) string {
	return "(" + AddressSuppressedSQL(email) + " OR " + DomainSuppressedSQL(db.DomainOfSQL(dialect, email)) + ")"
}
