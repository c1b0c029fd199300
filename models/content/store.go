// Package content is what mail says: templates with their {{variables}},
// review, and the checks a template passes before it can be used.
package content

import (
	"github.com/sesame-email/sesame/models/accounts"
	"github.com/sesame-email/sesame/models/db"
)

// Templates is the store of templates.
type Templates struct {
	*db.DB
	accounts *accounts.Accounts // the review setting
}

// New builds the store.
func New(core *db.DB, accounts *accounts.Accounts) *Templates {
	return &Templates{DB: core, accounts: accounts}
}
