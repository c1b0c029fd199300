-- A run's recipients are queued in address order by lanes: consecutive
-- ranges of addresses, each with its own progress, so that on PostgreSQL
-- several connections queue one large group at once (one INSERT ... SELECT
-- keeps one server core busy and no more). A lane queues the addresses after
-- through_email up to and including until_email ('' = to the end); the
-- next lane starts where it ends. A batch of messages and its lane's
-- progress commit together, so a crash neither repeats nor skips anyone.
CREATE TABLE run_lanes (
    run_id BIGINT NOT NULL REFERENCES task_runs (id) ON DELETE CASCADE,
    lane INTEGER NOT NULL,
    through_email VARCHAR(254) {{bytewise}} NOT NULL DEFAULT '',
    until_email VARCHAR(254) {{bytewise}} NOT NULL DEFAULT '',
    done BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (run_id, lane)
);

-- A run still being queued goes on in one lane from where it was.
INSERT INTO run_lanes (run_id, lane, through_email)
SELECT id, 0, materialised_through FROM task_runs WHERE status = 'materialising';

ALTER TABLE task_runs DROP COLUMN materialised_through;
