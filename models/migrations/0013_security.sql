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
