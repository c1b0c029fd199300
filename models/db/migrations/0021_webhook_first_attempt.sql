-- A delivery keeps its first attempt in its own row: most events are
-- posted once, and a second row for each of them was half of what the
-- poster wrote, on SQLite beside delivery under the one write lock.
-- webhook_attempts holds the attempts after the first (retries, replays).
-- first_at may be NULL only because a column added to rows that exist
-- must: every delivery is written with its first attempt, and the older
-- ones are filled in below.
ALTER TABLE webhook_deliveries ADD COLUMN first_at {{time}};
ALTER TABLE webhook_deliveries ADD COLUMN first_status_code INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN first_latency_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE webhook_deliveries ADD COLUMN first_response VARCHAR(1024) NOT NULL DEFAULT '';
ALTER TABLE webhook_deliveries ADD COLUMN first_error VARCHAR(500) NOT NULL DEFAULT '';

-- The deliveries written before: their first attempt moves into the row.
UPDATE webhook_deliveries SET first_at = a.at, first_status_code = a.status_code, first_latency_ms = a.latency_ms,
    first_response = a.response, first_error = a.error
FROM webhook_attempts a
WHERE a.delivery_id = webhook_deliveries.id AND a.id IN (SELECT MIN(id) FROM webhook_attempts GROUP BY delivery_id);
DELETE FROM webhook_attempts WHERE id IN (SELECT MIN(id) FROM webhook_attempts GROUP BY delivery_id);
