-- Templates, recipient groups with their CSV imports, the suppression list,
-- and a small key/value table for console-wide settings.
CREATE TABLE settings (
    name VARCHAR(100) PRIMARY KEY,
    value VARCHAR(1000) NOT NULL,
    updated_at {{time}} NOT NULL
);

CREATE TABLE templates (
    id {{pk}},
    name VARCHAR(200) NOT NULL UNIQUE,
    subject VARCHAR(1000) NOT NULL DEFAULT '',
    html TEXT NOT NULL DEFAULT '',
    text_part TEXT NOT NULL DEFAULT '',
    sample_data TEXT NOT NULL DEFAULT '',
    status VARCHAR(16) NOT NULL CHECK (status IN ('approved', 'pending', 'rejected')),
    review_reason VARCHAR(1000) NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE INDEX templates_status ON templates (status);

CREATE TABLE recipient_groups (
    id {{pk}},
    name VARCHAR(200) NOT NULL UNIQUE,
    description VARCHAR(1000) NOT NULL DEFAULT '',
    recipient_count BIGINT NOT NULL DEFAULT 0,
    -- The union of the variable names of the group's recipients, as a JSON
    -- array, so an export knows its columns without reading every row first.
    variable_names TEXT NOT NULL DEFAULT '[]',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);

-- Addresses are stored lowercased, so (group_id, email) deduplicates and
-- the index serves keyset pages and prefix search in byte order.
CREATE TABLE recipients (
    id {{pk}},
    group_id BIGINT NOT NULL REFERENCES recipient_groups (id) ON DELETE CASCADE,
    email VARCHAR(254) {{bytewise}} NOT NULL,
    variables TEXT NOT NULL DEFAULT '{}',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE UNIQUE INDEX recipients_group_email ON recipients (group_id, email);

-- node names the process whose data dir holds the uploaded file: only it
-- can run the job.
CREATE TABLE import_jobs (
    id {{pk}},
    group_id BIGINT NOT NULL REFERENCES recipient_groups (id) ON DELETE CASCADE,
    status VARCHAR(16) NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    node VARCHAR(64) NOT NULL,
    file_path VARCHAR(1000) NOT NULL,
    file_name VARCHAR(300) NOT NULL,
    file_size BIGINT NOT NULL,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    rows_read BIGINT NOT NULL DEFAULT 0,
    imported BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    duplicates BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0,
    error VARCHAR(1000) NOT NULL DEFAULT '',
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at {{time}} NOT NULL,
    started_at {{time}},
    finished_at {{time}}
);
CREATE INDEX import_jobs_group ON import_jobs (group_id, id);
CREATE INDEX import_jobs_status ON import_jobs (status, node);

CREATE TABLE import_errors (
    job_id BIGINT NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    email VARCHAR(300) NOT NULL,
    reason VARCHAR(200) NOT NULL,
    PRIMARY KEY (job_id, line)
);

-- One row per (value, scope, reason): replaying a bounce, complaint or
-- unsubscribe finds its row and changes nothing. value is a lowercased
-- address or, for kind 'domain', a lowercased punycode domain. scope_domain
-- is the sender domain an unsubscribe came from; empty means every sender.
CREATE TABLE suppressions (
    id {{pk}},
    kind VARCHAR(8) NOT NULL CHECK (kind IN ('address', 'domain')),
    value VARCHAR(254) {{bytewise}} NOT NULL,
    reason VARCHAR(16) NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'unsubscribe', 'manual')),
    scope_domain VARCHAR(253) NOT NULL DEFAULT '',
    source VARCHAR(300) NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    expires_at {{time}},
    CHECK (reason = 'unsubscribe' OR scope_domain = '')
);
CREATE UNIQUE INDEX suppressions_value_scope_reason ON suppressions (value, scope_domain, reason);
CREATE INDEX suppressions_created ON suppressions (created_at, id);
