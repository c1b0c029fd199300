package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/testdb"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/store"
	"gorm.io/gorm"
)

// openPostgres is a fresh PostgreSQL database, not migrated.
func openPostgres(t *testing.T, loc *time.Location) *db.DB {
	t.Helper()
	if testdb.Name() != "postgres" {
		t.Skip("day partitions are PostgreSQL's: run under scripts/with-postgres.sh")
	}
	cfg := testdb.Config(t)
	cfg.Location = loc
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.DB.Close() })
	return st.DB
}

// A database from before day partitions, with a million messages over
// five days and an event for each, moves to the partitioned layout at
// start: every row kept in its day's partition with its id, new ids going
// on after the old ones, and nothing left behind.
func TestExistingDatabaseMovesToDayPartitions(t *testing.T) {
	ctx := context.Background()
	jakarta, err := time.LoadLocation("Asia/Jakarta")
	if err != nil {
		t.Fatal(err)
	}
	s := openPostgres(t, jakarta)
	if _, err := s.MigrateUnpartitioned(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 1_000_000
	// Five days before today, in Jakarta: row i is made at i*0.4 s past
	// their first midnight.
	first := s.StartOfDay(time.Now()).AddDate(0, 0, -5)
	for _, q := range []string{
		"INSERT INTO message_contents (subject, created_at) VALUES ('s', now())",
		`INSERT INTO messages (uid, content_id, domain_id, from_email, recipient, recipient_domain, status, next_attempt_at, created_at, updated_at)
		 SELECT 'u' || i, 1, 1, 'a@example.com', 'r' || i || '@example.net', 'example.net', CASE WHEN i % 1000 = 0 THEN 'queued' ELSE 'delivered' END,
		        ?, CAST(? AS timestamptz) + i * interval '400 milliseconds', now() FROM generate_series(1, ` + "1000000" + `) i`,
		"INSERT INTO message_events (message_id, type, at) SELECT id, 'delivered', created_at FROM messages",
		"INSERT INTO message_reports (message_id, kind, received_at) SELECT id, 'hard_bounce', created_at FROM messages WHERE id % 5000 = 0",
	} {
		var args []any
		for range strings.Count(q, "?") {
			args = append(args, first)
		}
		if err := s.Gorm.Exec(q, args...).Error; err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	var before struct{ Count, Sum, Max int64 }
	s.Gorm.Raw("SELECT COUNT(*) AS count, SUM(id) AS sum, MAX(id) AS max FROM messages").Scan(&before)
	if before.Count != n {
		t.Fatalf("made %d messages", before.Count)
	}

	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}

	for _, table := range []string{"messages", "message_events"} {
		var kind string
		s.Gorm.Raw("SELECT relkind FROM pg_class WHERE oid = to_regclass(?)", table).Scan(&kind)
		if kind != "p" {
			t.Errorf("%s is of kind %q, want partitioned", table, kind)
		}
		var left bool
		s.Gorm.Raw("SELECT to_regclass(?) IS NOT NULL", table+"_unpartitioned").Scan(&left)
		if left {
			t.Errorf("%s_unpartitioned is still there", table)
		}
		var inDefault int64
		s.Gorm.Raw("SELECT COUNT(*) FROM " + table + "_default").Scan(&inDefault)
		if inDefault != 0 {
			t.Errorf("%d rows of %s in the default partition, want each in its day's", inDefault, table)
		}
	}
	var after struct{ Count, Sum, Max int64 }
	s.Gorm.Raw("SELECT COUNT(*) AS count, SUM(id) AS sum, MAX(id) AS max FROM messages").Scan(&after)
	if after != before {
		t.Errorf("messages after the move %+v, before %+v", after, before)
	}
	var events, reports int64
	s.Gorm.Raw("SELECT COUNT(*) FROM message_events e JOIN messages m ON m.id = e.message_id").Scan(&events)
	s.Gorm.Raw("SELECT COUNT(*) FROM message_reports").Scan(&reports)
	if events != n || reports != n/5000 {
		t.Errorf("%d events matched to their messages and %d reports, want %d and %d", events, reports, n, n/5000)
	}

	// Each day's rows are in that day's partition, by Jakarta's midnight.
	parts, err := s.DayPartitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, p := range parts {
		if p.Table != "messages" {
			continue
		}
		days = append(days, p.Day.Format(time.DateOnly))
		var outside int64
		s.Gorm.Raw("SELECT COUNT(*) FROM "+p.Name+" WHERE created_at < ? OR created_at >= ?", p.Day, p.End()).Scan(&outside)
		if outside != 0 || !p.Attached {
			t.Errorf("%s: %d rows outside its day, attached %v", p.Name, outside, p.Attached)
		}
	}
	// 1,000,000 × 0.4 s is 4.6 days: the five days before today, today
	// and db.PartitionsAhead days after it.
	if want := 5 + 1 + db.PartitionsAhead; len(days) != want || days[0] != first.Format(time.DateOnly) {
		t.Errorf("day partitions %v, want %d from %s", days, want, first.Format(time.DateOnly))
	}

	// New rows get ids after the old ones and land in today's partition.
	var id int64
	if err := s.Gorm.Raw(`INSERT INTO messages (uid, content_id, domain_id, from_email, recipient, recipient_domain, status, next_attempt_at, created_at, updated_at)
		VALUES ('new', 1, 1, 'a@example.com', 'r@example.net', 'example.net', 'queued', now(), now(), now()) RETURNING id`).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	var where string
	s.Gorm.Raw("SELECT tableoid::regclass::text FROM messages WHERE id = ?", id).Scan(&where)
	if id != before.Max+1 || where != db.PartitionName("messages", s.StartOfDay(time.Now())) {
		t.Errorf("new message got id %d in %s, want %d in today's partition", id, where, before.Max+1)
	}

	// A second start finds nothing to do.
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
}

// A row no day partition covers lands in the default partition, and moves
// into its day's partition when that is created.
func TestDefaultPartitionRowsMoveIntoTheirDay(t *testing.T) {
	ctx := context.Background()
	s := openPostgres(t, time.UTC)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	later := s.StartOfDay(time.Now()).AddDate(0, 0, db.PartitionsAhead+3).Add(5 * time.Hour)
	if err := s.Gorm.Exec(`INSERT INTO messages (uid, content_id, domain_id, from_email, recipient, recipient_domain, status, next_attempt_at, created_at, updated_at)
		VALUES ('later', 1, 1, 'a@example.com', 'r@example.net', 'example.net', 'queued', ?, ?, ?)`, later, later, later).Error; err != nil {
		t.Fatal(err)
	}
	var where string
	s.Gorm.Raw("SELECT tableoid::regclass::text FROM messages WHERE uid = 'later'").Scan(&where)
	if where != "messages_default" {
		t.Fatalf("a row of a day without a partition went to %s", where)
	}
	if err := s.Gorm.Transaction(func(tx *gorm.DB) error {
		return s.CreatePartition(tx, "messages", "created_at", s.StartOfDay(later))
	}); err != nil {
		t.Fatal(err)
	}
	s.Gorm.Raw("SELECT tableoid::regclass::text FROM messages WHERE uid = 'later'").Scan(&where)
	if where != db.PartitionName("messages", s.StartOfDay(later)) {
		t.Errorf("the row is in %s after its day's partition was made", where)
	}
}
