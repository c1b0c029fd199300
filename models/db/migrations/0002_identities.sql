-- Sender identities: domains with their DKIM keys and DNS check results,
-- sender addresses, and the sending IPs with their domain assignments.
CREATE TABLE domains (
    id {{pk}},
    name VARCHAR(253) NOT NULL UNIQUE,
    verify_token VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL CHECK (status IN ('pending', 'verified')),
    drift BOOLEAN NOT NULL DEFAULT FALSE,
    drift_reason VARCHAR(500) NOT NULL DEFAULT '',
    verified_at {{time}},
    last_checked_at {{time}},
    next_check_at {{time}} NOT NULL,
    warmup_plan VARCHAR(64) NOT NULL DEFAULT 'standard',
    warmup_day INTEGER NOT NULL DEFAULT 1,
    warmup_last_sent_on VARCHAR(10) NOT NULL DEFAULT '',
    warmup_hold_reason VARCHAR(300) NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE INDEX domains_next_check ON domains (next_check_at);

-- private_key is sealed (AES-GCM) under the installation's secret key.
CREATE TABLE dkim_keys (
    id {{pk}},
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    selector VARCHAR(63) NOT NULL,
    algorithm VARCHAR(16) NOT NULL CHECK (algorithm IN ('rsa', 'ed25519')),
    bits INTEGER NOT NULL,
    private_key {{blob}} NOT NULL,
    public_key TEXT NOT NULL,
    state VARCHAR(16) NOT NULL CHECK (state IN ('pending', 'active', 'retired')),
    created_at {{time}} NOT NULL,
    activated_at {{time}},
    retired_at {{time}},
    UNIQUE (domain_id, selector)
);

-- The last check of each record; what is expected is derived afresh.
CREATE TABLE domain_records (
    id {{pk}},
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    kind VARCHAR(20) NOT NULL CHECK (kind IN ('ownership', 'spf', 'dkim', 'dmarc', 'return_path', 'return_path_spf')),
    name VARCHAR(300) NOT NULL,
    current_value TEXT NOT NULL,
    status VARCHAR(16) NOT NULL CHECK (status IN ('pass', 'fail', 'missing', 'warning', 'unknown')),
    explanation VARCHAR(500) NOT NULL,
    checked_at {{time}} NOT NULL,
    UNIQUE (domain_id, kind, name)
);

CREATE TABLE sender_addresses (
    id {{pk}},
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    email VARCHAR(254) NOT NULL UNIQUE,
    display_name VARCHAR(100) NOT NULL DEFAULT '',
    smtp_password_hash VARCHAR(100) NOT NULL DEFAULT '',
    smtp_password_set_at {{time}},
    created_at {{time}} NOT NULL
);
CREATE INDEX sender_addresses_domain ON sender_addresses (domain_id);

-- address '' is the host's default route: no explicit bind.
CREATE TABLE sending_ips (
    id {{pk}},
    address VARCHAR(45) NOT NULL UNIQUE,
    helo_host VARCHAR(253) NOT NULL DEFAULT '',
    pool VARCHAR(16) NOT NULL CHECK (pool IN ('shared', 'dedicated')),
    warmup_plan VARCHAR(64) NOT NULL DEFAULT 'standard',
    warmup_day INTEGER NOT NULL DEFAULT 1,
    warmup_last_sent_on VARCHAR(10) NOT NULL DEFAULT '',
    warmup_hold_reason VARCHAR(300) NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
INSERT INTO sending_ips (address, helo_host, pool, warmup_plan, created_at, updated_at)
VALUES ('', '', 'shared', 'none', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

CREATE TABLE domain_ips (
    domain_id BIGINT NOT NULL REFERENCES domains (id) ON DELETE CASCADE,
    ip_id BIGINT NOT NULL REFERENCES sending_ips (id) ON DELETE CASCADE,
    PRIMARY KEY (domain_id, ip_id)
);
CREATE INDEX domain_ips_ip ON domain_ips (ip_id);
