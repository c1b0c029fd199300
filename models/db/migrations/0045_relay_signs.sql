-- A domain whose mail the relay (SESAME_DELIVERY=relay://…) signs with DKIM
-- for it: Sesame adds no signature of its own and asks for no DKIM record.
ALTER TABLE domains ADD COLUMN relay_signs BOOLEAN NOT NULL DEFAULT FALSE;
