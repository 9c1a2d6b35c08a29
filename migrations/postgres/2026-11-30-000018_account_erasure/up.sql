-- Erasure (docs/privacy.md): a self-service deletion waits out a grace period, cancelled by
-- signing in; every node's maintenance round erases accounts whose time has come.
ALTER TABLE accounts ADD COLUMN erase_after BIGINT;
CREATE INDEX accounts_erase_after ON accounts (erase_after) WHERE erase_after IS NOT NULL;
