-- The warm-up forecast (queue.WarmupOutlook) spreads every domain's unsent
-- bulk messages, queued or waiting for quota, over the days their quotas
-- allow, and splits them among task runs oldest first: the IPs & warm-up
-- page, pre-flight checks and task pages count them on each load. This
-- index holds those messages only, with every column the count reads (the
-- condition's columns too, without which SQLite reads each row), so a
-- 600,000-message task is counted from the index alone and sent messages
-- are never read. It replaces the index of quota_wait messages alone,
-- which served the count when it left queued messages out.
CREATE INDEX messages_unsent_bulk ON messages (domain_id, run_id, id, status, transactional) WHERE status IN ('queued', 'quota_wait') AND NOT transactional;
DROP INDEX messages_quota_wait;
