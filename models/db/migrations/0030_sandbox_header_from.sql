-- The sandbox mailbox shows who the mail is from as the recipient sees it
-- (the From header with its display name), not the bounce address.
ALTER TABLE sandbox_messages ADD COLUMN header_from VARCHAR(1000) NOT NULL DEFAULT '';
