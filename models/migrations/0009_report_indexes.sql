-- A task's report reads its rollup rows and link clicks over all time:
-- these indexes find them without scanning every task's.
CREATE INDEX stats_hourly_task ON stats_hourly (task_id, hour);
CREATE INDEX stats_links_task ON stats_links (task_id, day);
