-- Merged accounts (lifecycle::merge): the account merged away stays as a tombstone (status
-- `deleted` as after an erasure, personal data destroyed, its blind index freed) that names
-- the account it went into, so a relying party holding its `sub` (account subject mode) can
-- follow it.
ALTER TABLE accounts ADD COLUMN merged_into TEXT REFERENCES accounts (id);
