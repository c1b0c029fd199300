// Package audience is who mail goes to: recipient groups and their
// recipients, CSV imports in the background, and the suppression list of
// addresses and domains never sent to.
package audience

import "github.com/sesame-email/sesame/models/db"

// Audience is the store of groups, their recipients and imports.
type Audience struct {
	*db.DB
	// dataDir holds uploaded files waiting for import.
	dataDir string
	// importQueued wakes this process's importer when a job is queued.
	importQueued chan struct{}
}

// Suppressions is the store of the suppression list.
type Suppressions struct {
	*db.DB
}

// New builds the stores; dataDir keeps uploads until they are imported.
func New(core *db.DB, dataDir string) (*Audience, *Suppressions) {
	return &Audience{DB: core, dataDir: dataDir, importQueued: make(chan struct{}, 1)}, &Suppressions{DB: core}
}
