package db

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// MigrateUnpartitioned applies the SQL migrations alone, leaving the plain
// tables of a database from before day partitions.
func (s *DB) MigrateUnpartitioned(ctx context.Context) (int, error) { return s.migrate(ctx, false) }

func (s *DB) CreatePartition(tx *gorm.DB, table, column string, day time.Time) error {
	return s.createPartition(tx, table, column, day)
}

var PartitionName = partitionName
