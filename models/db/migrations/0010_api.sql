-- The Tencent-compatible API: keys that sign requests, and the concepts its
-- actions need that the console lacked (tags on domains, a default
-- unsubscribe link per sender address, and tasks that carry a display
-- name, Reply-To and attachments).

-- secret_key is sealed (AES-GCM) under the installation's secret key: the
-- API needs the plain key to check HMAC signatures, so it cannot be hashed.
CREATE TABLE api_keys (
    id {{pk}},
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name VARCHAR(100) NOT NULL DEFAULT '',
    secret_id VARCHAR(64) NOT NULL UNIQUE,
    secret_key {{blob}} NOT NULL,
    created_at {{time}} NOT NULL,
    last_used_at {{time}},
    revoked_at {{time}}
);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE domain_tags (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    tag_key VARCHAR(128) NOT NULL,
    tag_value VARCHAR(256) NOT NULL DEFAULT '',
    PRIMARY KEY (domain_id, tag_key)
);
CREATE INDEX domain_tags_key_value ON domain_tags (tag_key, tag_value);

-- unsubscribe_config is Tencent's language code of the link added to mail
-- from the address when a send does not choose ('' : no configuration);
-- unsubscribe_enabled switches it on and off.
ALTER TABLE sender_addresses ADD COLUMN unsubscribe_config VARCHAR(4) NOT NULL DEFAULT '';
ALTER TABLE sender_addresses ADD COLUMN unsubscribe_enabled BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE tasks ADD COLUMN from_name VARCHAR(100) NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN reply_to VARCHAR(1000) NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN attachments TEXT NOT NULL DEFAULT '';
