-- The plaintext columns come back empty: sealed values can only be opened with the master
-- key, which SQL does not have.
ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE profiles ADD COLUMN name TEXT;
ALTER TABLE profiles ADD COLUMN email TEXT;
ALTER TABLE profiles ADD COLUMN picture TEXT;
ALTER TABLE profiles ADD COLUMN locale TEXT;
ALTER TABLE profiles ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
