// Package seed writes made-up sending history for demos and benchmarks
// (sesame dev seed-events).
package seed

import "github.com/sesame-email/sesame/models/db"

// Seeder writes the history.
type Seeder struct{ *db.DB }

// New builds the seeder.
func New(core *db.DB) *Seeder { return &Seeder{DB: core} }
