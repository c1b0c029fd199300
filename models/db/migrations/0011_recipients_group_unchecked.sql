-- PostgreSQL checks a foreign key with a query per inserted row: on
-- recipients that check cost about a third of the server's time in a
-- million-row import. The store keeps the reference valid itself instead:
-- whoever writes recipients holds the group row (Store.holdGroup, and the
-- import's copyWriter) while DeleteGroup locks the row to delete it and
-- deletes the group's recipients with it. On SQLite the check is an
-- in-process index probe and cheap, and dropping it would mean rebuilding
-- the table, so it stays there.
{{postgres}}ALTER TABLE recipients DROP CONSTRAINT recipients_group_id_fkey;
