-- Accounts, console sessions and login throttling.
CREATE TABLE users (
    id {{pk}},
    email VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(100) NOT NULL,
    role VARCHAR(16) NOT NULL CHECK (role IN ('admin', 'marketer')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    time_zone VARCHAR(64) NOT NULL DEFAULT 'UTC',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);

-- id is the SHA-256 of the cookie token: a copy of this table opens no session.
CREATE TABLE sessions (
    id VARCHAR(64) PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data {{blob}},
    created_at {{time}} NOT NULL,
    last_seen_at {{time}} NOT NULL,
    expires_at {{time}} NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE login_failures (
    id {{pk}},
    throttle_key VARCHAR(300) NOT NULL,
    created_at {{time}} NOT NULL
);
CREATE INDEX login_failures_key_time ON login_failures (throttle_key, created_at);
CREATE INDEX login_failures_time ON login_failures (created_at);
