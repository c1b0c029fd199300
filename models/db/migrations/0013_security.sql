-- Sign-ins to an account that has failed lately are paced (throttle.go):
-- next_at is when its next attempt may start.
CREATE TABLE login_paces (
    throttle_key VARCHAR(300) PRIMARY KEY,
    next_at {{time}} NOT NULL
);
CREATE INDEX login_paces_next_at ON login_paces (next_at);
-- Failures now count per account and client address together: the longest
-- account name and IPv6 address side by side need more than 300 characters.
{{postgres}}ALTER TABLE login_failures ALTER COLUMN throttle_key TYPE VARCHAR(400);
-- Signatures of API requests, remembered while they could still verify
-- (apisignature.go), so that a captured request cannot be sent again for
-- another action or to change state twice. A cache of the clock window: on
-- PostgreSQL it is unlogged, so the one insert per request costs no WAL.
CREATE TABLE api_signatures (
    signature VARCHAR(64) PRIMARY KEY,
    action VARCHAR(64) NOT NULL,
    first_used_at {{time}} NOT NULL,
    expires_at {{time}} NOT NULL
);
CREATE INDEX api_signatures_expires ON api_signatures (expires_at);
{{postgres}}ALTER TABLE api_signatures SET UNLOGGED;
