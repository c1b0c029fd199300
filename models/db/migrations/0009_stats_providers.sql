-- The rollup summed over domains and tasks: per hour and mailbox provider.
-- The dashboard reads it unless filtered by domain or task, a few
-- thousand rows a month however many domains and tasks send.
CREATE TABLE stats_hourly_providers (
    hour {{time}} NOT NULL,
    provider VARCHAR(16) NOT NULL,
    requested BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    deferred BIGINT NOT NULL DEFAULT 0,
    bounced BIGINT NOT NULL DEFAULT 0,
    opened BIGINT NOT NULL DEFAULT 0,
    clicked BIGINT NOT NULL DEFAULT 0,
    unsubscribed BIGINT NOT NULL DEFAULT 0,
    complained BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, provider)
);
INSERT INTO stats_hourly_providers (hour, provider, requested, accepted, delivered, deferred, bounced, opened, clicked, unsubscribed, complained)
SELECT hour, provider, SUM(requested), SUM(accepted), SUM(delivered), SUM(deferred), SUM(bounced), SUM(opened), SUM(clicked), SUM(unsubscribed), SUM(complained)
FROM stats_hourly GROUP BY hour, provider;
-- Its totals per provider are read provider by provider through this
-- index, holding every column: no sort, no look-up of the rows.
CREATE INDEX stats_hourly_providers_totals ON stats_hourly_providers (provider, hour, requested, accepted, delivered, deferred, bounced, opened, clicked, unsubscribed, complained);

-- A task's report reads its rollup rows and link clicks over all time, and
-- the dashboard filtered by a domain that domain's hours: these indexes
-- find them without scanning the others'.
CREATE INDEX stats_hourly_task ON stats_hourly (task_id, hour);
CREATE INDEX stats_hourly_domain ON stats_hourly (domain_id, hour);
CREATE INDEX stats_links_task ON stats_links (task_id, day);
