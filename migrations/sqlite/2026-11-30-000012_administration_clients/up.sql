-- Only clients a tenant administrator marks as administration clients may ask for the
-- tessera:admin scope (a user's token for the admin API).
ALTER TABLE clients ADD COLUMN administration INTEGER NOT NULL DEFAULT 0;
