-- The warm-up forecast (queue.WarmupOutlook) spreads every domain's unsent
-- bulk messages, queued or waiting for quota, over the days their quotas
-- allow, and splits them among task runs in the order claims take them:
-- the IPs & warm-up page, pre-flight checks and task pages count them by
-- domain and run on each load. An index with every column the count reads
-- lets a 600,000-message task be counted without reading a table row; the
-- two databases get the one that costs each least.
-- PostgreSQL: messages_due, which holds those messages already (and the
-- deferred ones), gets the columns; it counts them by hashing. A separate
-- index cost it a tenth more to queue each message, these columns a fiftieth.
{{postgres}}DROP INDEX messages_due;
{{postgres}}CREATE INDEX messages_due ON messages (transactional, next_attempt_at, domain_id, run_id, status) WHERE status IN ('queued', 'deferred', 'quota_wait');
-- SQLite groups by sorting, which in messages_due's order (by due time, as
-- claims read it) meant sorting them all on each count: an index of them
-- in the order of the count instead, whose cost to queueing we could not
-- tell from the noise of the benchmark.
{{sqlite}}CREATE INDEX messages_unsent_bulk ON messages (domain_id, run_id, next_attempt_at, status, transactional) WHERE status IN ('queued', 'quota_wait') AND NOT transactional;
-- The index of quota_wait messages alone served the count when it left
-- queued messages out.
DROP INDEX messages_quota_wait;
