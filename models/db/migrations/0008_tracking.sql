-- Engagement tracking and statistics: what a send asked to track, the first
-- human open and click of each message, engagement events, and hourly
-- rollups the dashboard and the statistics API read.
ALTER TABLE message_contents ADD COLUMN track_opens BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE message_contents ADD COLUMN track_clicks BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE messages ADD COLUMN provider VARCHAR(16) NOT NULL DEFAULT 'other';
ALTER TABLE messages ADD COLUMN opened_at {{time}};
ALTER TABLE messages ADD COLUMN clicked_at {{time}};
ALTER TABLE messages ADD COLUMN unsubscribed_at {{time}};

ALTER TABLE message_events ADD COLUMN url VARCHAR(2000) NOT NULL DEFAULT '';
ALTER TABLE message_events ADD COLUMN user_agent VARCHAR(500) NOT NULL DEFAULT '';
ALTER TABLE message_events ADD COLUMN client_ip VARCHAR(45) NOT NULL DEFAULT '';
ALTER TABLE message_events ADD COLUMN machine BOOLEAN NOT NULL DEFAULT FALSE;

-- Counts per hour (UTC), sender domain, mailbox provider and task (0: none).
-- opened and clicked count messages (their first human open or click), not
-- events.
CREATE TABLE stats_hourly (
    hour {{time}} NOT NULL,
    domain_id BIGINT NOT NULL,
    provider VARCHAR(16) NOT NULL,
    task_id BIGINT NOT NULL DEFAULT 0,
    requested BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    delivered BIGINT NOT NULL DEFAULT 0,
    deferred BIGINT NOT NULL DEFAULT 0,
    bounced BIGINT NOT NULL DEFAULT 0,
    opened BIGINT NOT NULL DEFAULT 0,
    clicked BIGINT NOT NULL DEFAULT 0,
    unsubscribed BIGINT NOT NULL DEFAULT 0,
    complained BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, domain_id, provider, task_id)
);

-- Clicks per day, task and URL, for "top clicked links".
CREATE TABLE stats_links (
    day VARCHAR(10) NOT NULL,
    domain_id BIGINT NOT NULL,
    task_id BIGINT NOT NULL DEFAULT 0,
    url VARCHAR(2000) NOT NULL,
    clicks BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, domain_id, task_id, url)
);
