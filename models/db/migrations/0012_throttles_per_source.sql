-- A destination is throttled per source IP: reputation belongs to the IP,
-- and a receiver slowing one address down says nothing of the others.
-- Throttles last minutes, so the old rows are simply dropped.
DROP TABLE destination_throttles;

CREATE TABLE destination_throttles (
    destination VARCHAR(253) NOT NULL,
    source_ip VARCHAR(45) NOT NULL,
    until {{time}} NOT NULL,
    backoff_seconds INTEGER NOT NULL,
    reason VARCHAR(1000) NOT NULL DEFAULT '',
    PRIMARY KEY (destination, source_ip)
);
