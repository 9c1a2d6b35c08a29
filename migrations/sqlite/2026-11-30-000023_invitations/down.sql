ALTER TABLE accounts DROP COLUMN invited_at;
