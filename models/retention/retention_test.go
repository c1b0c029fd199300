package retention_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sesame-email/sesame/internal/dnstest"
	"github.com/sesame-email/sesame/internal/fixtures"
	"github.com/sesame-email/sesame/models"
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
