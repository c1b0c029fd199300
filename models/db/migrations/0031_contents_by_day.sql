-- Retention on PostgreSQL drops a day of messages with its partitions and
-- then the contents made that day (models/retention): found by the time
-- they were made, not by reading the day's messages for their content ids.
-- Contents are made in time order, so the index only grows at its end.
CREATE INDEX message_contents_created ON message_contents (created_at);
