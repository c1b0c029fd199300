// Package content is what mail says: templates with their {{variables}},
// review, and the checks a template passes before it can be used.
package content

import (
	"time"

	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
)

// Templates is the store of templates.
type Templates struct {
	*db.DB
	accounts *accounts.Accounts // the review setting
	// usable keeps approved templates for UsableTemplate.
	usable *db.Cache[uint64, Template]
}

// usableKeep is how long an approved template is kept for sending: how
// long another process sharing the database may go on sending with a
// template after it was changed, rejected or deleted.
const usableKeep = time.Second

// New builds the store.
func New(core *db.DB, accounts *accounts.Accounts) *Templates {
	return &Templates{DB: core, accounts: accounts, usable: db.NewCache[uint64, Template](usableKeep)}
}
