-- The delivery pipeline: what a message says (shared by its recipients), one
-- queue row per recipient, the events of each message, the sandbox mailbox,
-- warm-up plans and usage, and throttled destinations.

-- A content row is written once per send request (a task run, an API call,
-- an SMTP submission) and shared by all its messages: a snapshot of the
-- template, or the raw message an SMTP client submitted.
CREATE TABLE message_contents (
    id {{pk}},
    subject TEXT NOT NULL DEFAULT '',
    html TEXT NOT NULL DEFAULT '',
    text_part TEXT NOT NULL DEFAULT '',
    raw {{blob}},
    header_to TEXT NOT NULL DEFAULT '',
    header_cc TEXT NOT NULL DEFAULT '',
    reply_to VARCHAR(1000) NOT NULL DEFAULT '',
    extra_headers TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '',
    unsubscribe VARCHAR(4) NOT NULL DEFAULT '',
    template_id BIGINT,
    created_at {{time}} NOT NULL
);

-- One row per recipient, written in bulk (a task run queues a million in
-- seconds), so the table keeps only the indexes a query needs and no
-- foreign keys: PostgreSQL checks a foreign key with a query per inserted
-- row, which cost as much as the rest of the insert. The store keeps both
-- references valid itself: contents are never deleted, and whoever queues
-- messages holds the domain row (Store.holdDomain) while DeleteDomain
-- deletes a domain's messages with it.
CREATE TABLE messages (
    id {{pk}},
    -- The public id (Message-ID, VERP address, console URL). It starts with
    -- the time, so new ones are appended to the end of this index.
    uid VARCHAR(32) NOT NULL UNIQUE,
    content_id BIGINT NOT NULL,
    variables TEXT NOT NULL DEFAULT '{}',
    domain_id BIGINT NOT NULL,
    from_email VARCHAR(254) NOT NULL,
    from_name VARCHAR(100) NOT NULL DEFAULT '',
    recipient VARCHAR(254) NOT NULL,
    recipient_domain VARCHAR(253) NOT NULL,
    task_id BIGINT,
    run_id BIGINT,
    transactional BOOLEAN NOT NULL DEFAULT FALSE,
    status VARCHAR(16) NOT NULL CHECK (status IN ('queued', 'sending', 'delivered', 'deferred', 'quota_wait', 'bounced', 'failed', 'suppressed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{time}} NOT NULL,
    lease_owner VARCHAR(64) NOT NULL DEFAULT '',
    lease_until {{time}},
    last_reply VARCHAR(1000) NOT NULL DEFAULT '',
    source_ip VARCHAR(45) NOT NULL DEFAULT '',
    sent_on VARCHAR(10) NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL,
    delivered_at {{time}}
);
-- Every index here is written for each message queued and again at each
-- change of status, so each one serves a query that needs it:
-- claims look for due messages in these states only (finished ones are
-- left out of the index) and for expired leases;
CREATE INDEX messages_due ON messages (transactional, next_attempt_at) WHERE status IN ('queued', 'deferred', 'quota_wait');
CREATE INDEX messages_leases ON messages (lease_until) WHERE status = 'sending';
-- a task run's counts, pause, resume and cancel;
CREATE INDEX messages_run ON messages (run_id, status);
-- the messages of a day (FindMessages), which also narrows a search by
-- recipient: an index on recipients would be written at a random place
-- for every message, the most expensive of all;
CREATE INDEX messages_created ON messages (created_at);
-- the warm-up page's count of waiting messages per domain.
CREATE INDEX messages_quota_wait ON messages (domain_id) WHERE status = 'quota_wait';

CREATE TABLE message_events (
    id {{pk}},
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    type VARCHAR(16) NOT NULL,
    at {{time}} NOT NULL,
    detail VARCHAR(1000) NOT NULL DEFAULT '',
    source_ip VARCHAR(45) NOT NULL DEFAULT ''
);
CREATE INDEX message_events_message ON message_events (message_id, id);

-- What the sandbox transport "delivered": the console's Sandbox mailbox.
CREATE TABLE sandbox_messages (
    id {{pk}},
    message_id BIGINT REFERENCES messages (id) ON DELETE SET NULL,
    envelope_from VARCHAR(300) NOT NULL,
    recipient VARCHAR(254) NOT NULL,
    subject VARCHAR(1000) NOT NULL DEFAULT '',
    raw {{blob}} NOT NULL,
    received_at {{time}} NOT NULL
);
CREATE INDEX sandbox_messages_received ON sandbox_messages (received_at);

-- An admin's own plans: daily quotas as a JSON array.
CREATE TABLE warmup_plans (
    id {{pk}},
    name VARCHAR(64) NOT NULL UNIQUE,
    quotas TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

-- Bulk messages sent per domain or IP and calendar day, with the hard
-- bounces and complaints they drew: the quota counter and the warm-up gate.
CREATE TABLE warmup_usage (
    subject VARCHAR(8) NOT NULL CHECK (subject IN ('domain', 'ip')),
    subject_id BIGINT NOT NULL,
    day VARCHAR(10) NOT NULL,
    quota INTEGER NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    hard_bounced INTEGER NOT NULL DEFAULT 0,
    complained INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (subject, subject_id, day)
);

-- Destinations that asked Sesame to slow down (421/451).
CREATE TABLE destination_throttles (
    domain VARCHAR(253) PRIMARY KEY,
    until {{time}} NOT NULL,
    backoff_seconds INTEGER NOT NULL,
    reason VARCHAR(1000) NOT NULL DEFAULT ''
);
