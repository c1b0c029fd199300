package retention_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
	"github.com/sesame-email/sesame/models/db"
	"github.com/sesame-email/sesame/models/queue"
	"github.com/sesame-email/sesame/models/tracking"
)

// TestPruneRemovesOldFinalMessagesAndKeepsTheRest: messages older than
// the cutoff go with their events and contents; one not final yet stays,
// as do newer messages, the task, its run's content and the daily
// statistics; the day's message list comes back empty.
func TestPruneRemovesOldFinalMessagesAndKeepsTheRest(t *testing.T) {
	st, clock := fixtures.Store(t)
	ctx := context.Background()
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	oldDay := clock.Now()
	old := fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{
		"ann@example.org": models.StatusDelivered, "bob@example.org": models.StatusBounced, "cat@example.org": models.StatusDeferred})
	task, taskMsgs := fixtures.Campaign(t, st, sender, "Spring", []string{"dan@example.org"}, nil)
	if err := st.Tracking.RecordEngagement(ctx, []tracking.Engagement{{UID: old["ann@example.org"].UID, Kind: tracking.EngagementOpen,
		At: clock.Now(), UserAgent: "Mozilla/5.0"}}); err != nil {
		t.Fatal(err)
	}
	before, err := st.Queue.DailyVolumes(ctx, oldDay, oldDay, time.UTC, queue.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}

	clock.Advance(100 * 24 * time.Hour)
	// Queued only: a claim now would take the deferred message, due again.
	recent, err := st.Queue.Enqueue(ctx, queue.EnqueueRequest{Sender: sender, Transactional: true,
		Content: queue.MessageContent{Subject: "New", Text: "New."}, To: []queue.Addressee{{Email: "eve@example.org"}}})
	if err != nil {
		t.Fatal(err)
	}

	cutoff := st.Retention.StartOfDay(clock.Now().Add(-90 * 24 * time.Hour))
	report, err := st.Retention.Prune(ctx, cutoff, clock.Now().Add(-7*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if report.Messages != 3 || report.Kept != 1 || report.Events == 0 || report.Contents != 0 { // the content is the deferred message's too
		t.Errorf("report %+v", report)
	}
	for _, rcpt := range []string{"ann@example.org", "bob@example.org"} {
		if _, err := st.Queue.GetMessageByUID(ctx, old[rcpt].UID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: %v, want removed", rcpt, err)
		}
	}
	if _, err := st.Queue.GetMessageByUID(ctx, taskMsgs["dan@example.org"].UID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the task's old message: %v, want removed", err)
	}
	if _, err := st.Queue.GetMessageByUID(ctx, old["cat@example.org"].UID); err != nil {
		t.Errorf("the deferred message was removed: %v", err)
	}
	if _, err := st.Queue.GetMessageContent(ctx, old["cat@example.org"].ContentID); err != nil {
		t.Errorf("the deferred message's content was removed: %v", err)
	}
	if _, err := st.Queue.GetMessageByUID(ctx, recent[0].UID); err != nil {
		t.Errorf("the recent message was removed: %v", err)
	}
	if _, err := st.Tasks.GetTask(ctx, task.ID); err != nil {
		t.Errorf("the task was removed: %v", err)
	}
	if _, err := st.Queue.GetMessageContent(ctx, taskMsgs["dan@example.org"].ContentID); err != nil {
		t.Errorf("the task run's content was removed: %v", err)
	}
	after, err := st.Queue.DailyVolumes(ctx, oldDay, oldDay, time.UTC, queue.StatsFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if after[0].StatsRow != before[0].StatsRow || after[0].Delivered == 0 {
		t.Errorf("daily statistics changed: %+v, were %+v", after[0].StatsRow, before[0].StatsRow)
	}
	rows, _, err := st.Queue.FindMessages(ctx, queue.MessageQuery{Day: oldDay, Recipient: "ann@example.org", Limit: 10})
	if err != nil || len(rows) != 0 {
		t.Errorf("the pruned day lists %d messages: %v", len(rows), err)
	}
	oldest, err := st.Retention.OldestDay(ctx)
	if err != nil || oldest == nil || !oldest.Equal(old["cat@example.org"].CreatedAt) {
		t.Errorf("oldest day kept %v: %v", oldest, err)
	}

	// Once it is final, the next prune takes it.
	st.DB.Gorm.Exec("UPDATE messages SET status = 'failed' WHERE id = ?", old["cat@example.org"].ID)
	report, err = st.Retention.Prune(ctx, cutoff, clock.Now())
	if err != nil || report.Messages != 1 || report.Kept != 0 || report.Contents != 1 {
		t.Errorf("second prune %+v: %v", report, err)
	}
}

// A day whose messages are all final goes whole, with their events,
// reports and contents: on PostgreSQL by dropping the day's partitions
// (the next days' ones made as the scheduler makes them), on SQLite in
// batches; the day after the cutoff stays.
func TestPruneRemovesAWholeDay(t *testing.T) {
	st, clock := fixtures.Store(t)
	ctx := context.Background()
	sender := fixtures.Sender(t, st, dnstest.Start(t), "news@shop.example", "Shop")
	old := fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{
		"ann@example.org": models.StatusDelivered, "bob@example.org": models.StatusBounced})
	if err := st.DB.Gorm.Exec("INSERT INTO message_reports (message_id, kind, received_at) VALUES (?, 'hard_bounce', ?)", old["bob@example.org"].ID, clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
	clock.Advance(24 * time.Hour)
	if err := st.DB.EnsurePartitions(ctx); err != nil {
		t.Fatal(err)
	}
	next := fixtures.Sent(t, st, sender, true, map[string]models.MessageStatus{"cat@example.org": models.StatusDelivered})

	report, err := st.Retention.Prune(ctx, st.Retention.StartOfDay(clock.Now()), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if report.Messages != 2 || report.Contents != 1 || report.Events == 0 || report.Kept != 0 {
		t.Errorf("report %+v", report)
	}
	if st.DB.Dialect() == db.Postgres && report.Partitions != 2 {
		t.Errorf("dropped %d day partitions, want the day's messages and events: %+v", report.Partitions, report)
	}
	for _, m := range old {
		if _, err := st.Queue.GetMessageByUID(ctx, m.UID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("%s: %v, want removed", m.Recipient, err)
		}
	}
	var left int64
	st.DB.Gorm.Raw("SELECT (SELECT COUNT(*) FROM message_reports) + (SELECT COUNT(*) FROM message_events WHERE message_id IN (?, ?))",
		old["ann@example.org"].ID, old["bob@example.org"].ID).Scan(&left)
	if left != 0 {
		t.Errorf("%d reports and events of the removed messages left", left)
	}
	if _, err := st.Queue.GetMessageByUID(ctx, next["cat@example.org"].UID); err != nil {
		t.Errorf("the next day's message: %v", err)
	}
	parts, err := st.DB.DayPartitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if p.Day.Before(report.Before) {
			t.Errorf("partition %s of a pruned day is still there", p.Name)
		}
	}
}
