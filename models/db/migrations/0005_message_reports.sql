-- Reports that mail systems sent back about messages after accepting them:
-- asynchronous bounces (DSNs) and complaints (ARF). A row per effect, so a
-- replayed report changes nothing: a hard bounce and a complaint count once
-- per message whatever report says so (fingerprint empty); each distinct
-- soft-bounce notice counts once (fingerprint: a digest of the report).
CREATE TABLE message_reports (
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    kind VARCHAR(16) NOT NULL CHECK (kind IN ('hard_bounce', 'soft_bounce', 'complaint')),
    fingerprint VARCHAR(64) NOT NULL DEFAULT '',
    received_at {{time}} NOT NULL,
    PRIMARY KEY (message_id, kind, fingerprint)
);
