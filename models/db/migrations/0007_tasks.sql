-- Sending tasks (batch, scheduled, recurring), their runs, and the lease
-- that lets one of several processes act as the scheduler.
CREATE TABLE tasks (
    id {{pk}},
    name VARCHAR(200) NOT NULL,
    sender_id BIGINT REFERENCES sender_addresses (id) ON DELETE SET NULL,
    template_id BIGINT REFERENCES templates (id) ON DELETE SET NULL,
    group_id BIGINT REFERENCES recipient_groups (id) ON DELETE SET NULL,
    subject VARCHAR(1000) NOT NULL DEFAULT '',
    unsubscribe VARCHAR(4) NOT NULL DEFAULT '',
    ad_location INTEGER NOT NULL DEFAULT 0 CHECK (ad_location IN (0, 1, 2)),
    track_opens BOOLEAN NOT NULL DEFAULT TRUE,
    track_clicks BOOLEAN NOT NULL DEFAULT TRUE,
    variable_defaults TEXT NOT NULL DEFAULT '{}',
    kind VARCHAR(16) NOT NULL CHECK (kind IN ('batch', 'scheduled', 'recurring')),
    start_at {{time}} NOT NULL,
    interval_unit VARCHAR(8) NOT NULL DEFAULT '' CHECK (interval_unit IN ('', 'hours', 'days')),
    interval_count INTEGER NOT NULL DEFAULT 0,
    cron_expr VARCHAR(200) NOT NULL DEFAULT '',
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    end_at {{time}},
    max_runs INTEGER NOT NULL DEFAULT 0,
    status VARCHAR(16) NOT NULL CHECK (status IN ('scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed')),
    status_reason VARCHAR(1000) NOT NULL DEFAULT '',
    next_run_at {{time}},
    runs_started INTEGER NOT NULL DEFAULT 0,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE INDEX tasks_next_run ON tasks (next_run_at) WHERE status IN ('scheduled', 'running');

-- One row per occurrence: the unique (task, time) makes firing idempotent.
CREATE TABLE task_runs (
    id {{pk}},
    task_id BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    scheduled_for {{time}} NOT NULL,
    status VARCHAR(16) NOT NULL CHECK (status IN ('materialising', 'sending', 'paused', 'completed', 'cancelled', 'failed', 'skipped')),
    reason VARCHAR(1000) NOT NULL DEFAULT '',
    content_id BIGINT REFERENCES message_contents (id),
    requested BIGINT NOT NULL DEFAULT 0,
    -- Recipients are queued in address order (the group's unique index),
    -- through this address so far; those added after the run fired (ids
    -- above last_recipient_id) are left out: the run is for the group as
    -- it was then.
    materialised_through VARCHAR(254) {{bytewise}} NOT NULL DEFAULT '',
    last_recipient_id BIGINT NOT NULL DEFAULT 0,
    started_at {{time}},
    finished_at {{time}},
    created_at {{time}} NOT NULL,
    UNIQUE (task_id, scheduled_for)
);
CREATE INDEX task_runs_status ON task_runs (status);

-- Defaults for template variables a group lacks, used when rendering.
ALTER TABLE message_contents ADD COLUMN variable_defaults TEXT NOT NULL DEFAULT '';

CREATE TABLE leases (
    name VARCHAR(64) PRIMARY KEY,
    holder VARCHAR(128) NOT NULL,
    until {{time}} NOT NULL
);
