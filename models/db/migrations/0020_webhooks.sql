-- Event webhooks: endpoints that hear what happens to messages, in
-- Tencent's callback format. Nothing is written on the delivery path for
-- them: each endpoint reads forward through message_events from its
-- cursor (webhooks/feed.go), and only then records what it posted.

-- sender_email is empty for an account-wide endpoint; an address with
-- endpoints of its own sends its events to them only. secret and
-- previous_secret are sealed (AES-GCM) under the installation's key: both
-- sign while previous_secret_until has not passed (a rotation's grace).
-- The cursor is the last event read; lease_owner is the process posting
-- for the endpoint, so that several processes never post an event twice.
CREATE TABLE webhook_endpoints (
    id {{pk}},
    sender_email VARCHAR(254) NOT NULL DEFAULT '',
    url VARCHAR(2000) NOT NULL,
    events VARCHAR(200) NOT NULL,
    custom_value VARCHAR(500) NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    secret {{blob}} NOT NULL,
    previous_secret {{blob}},
    previous_secret_until {{time}},
    cursor_txid BIGINT NOT NULL DEFAULT 0,
    cursor_id BIGINT NOT NULL DEFAULT 0,
    lease_owner VARCHAR(128) NOT NULL DEFAULT '',
    lease_until {{time}},
    failing_since {{time}},
    last_success_at {{time}},
    disabled_reason VARCHAR(500) NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE INDEX webhook_endpoints_sender ON webhook_endpoints (sender_email);

-- One row per event posted to an endpoint, written after its first
-- attempt, with the body every later attempt sends again; and one row per
-- attempt. No foreign keys, for the cost of their checks at a thousand
-- events a second: deleting an endpoint deletes both in its transaction.
CREATE TABLE webhook_deliveries (
    id {{pk}},
    endpoint_id BIGINT NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    event VARCHAR(16) NOT NULL,
    message_uid VARCHAR(32) NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    status VARCHAR(16) NOT NULL CHECK (status IN ('delivered', 'retrying', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{time}},
    give_up_at {{time}} NOT NULL,
    occurred_at {{time}} NOT NULL,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
-- the delivery log, newest first, per endpoint;
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (endpoint_id, id);
-- the retries that are due;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'retrying';
-- retention.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

CREATE TABLE webhook_attempts (
    id {{pk}},
    delivery_id BIGINT NOT NULL,
    at {{time}} NOT NULL,
    status_code INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    response VARCHAR(1024) NOT NULL DEFAULT '',
    error VARCHAR(500) NOT NULL DEFAULT ''
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);

-- On PostgreSQL, ids are handed out before commit, so a reader going
-- forward by id could pass an event whose transaction commits after a
-- later one. Each event row carries its transaction's id: a reader takes
-- only the rows of transactions older than every one still running
-- (pg_snapshot_xmin), in (txid, id) order, and nothing can appear behind
-- it. Rows written before this migration are older than any reader. On
-- SQLite, with its one writer, ids commit in order already.
{{postgres}}ALTER TABLE message_events ADD COLUMN txid BIGINT NOT NULL DEFAULT 0;
{{postgres}}ALTER TABLE message_events ALTER COLUMN txid SET DEFAULT (pg_current_xact_id()::text)::bigint;
{{postgres}}CREATE INDEX message_events_feed ON message_events (txid, id);
