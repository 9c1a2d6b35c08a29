-- Retention (docs/privacy.md): per-tenant policy, when a tenant's daily run last happened
-- (so one node does it per day), each account's last activity and inactivity warning, and
-- the point an audit chain was pruned to (its signed anchor).
ALTER TABLE tenants ADD COLUMN retention_inactive_days BIGINT;
ALTER TABLE tenants ADD COLUMN retention_audit_days BIGINT;
ALTER TABLE tenants ADD COLUMN retention_ran_at BIGINT;

ALTER TABLE accounts ADD COLUMN last_active_at BIGINT;
ALTER TABLE accounts ADD COLUMN inactivity_warned_at BIGINT;
-- The best knowledge of past activity: the newest session still on record, else creation.
UPDATE accounts SET last_active_at = COALESCE(
    (SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.account_id = accounts.id),
    accounts.created_at);

-- Entries up to base_seq were dropped by retention; entry base_seq had base_hash, as the
-- tenant-signed base_jws says, so the rest of the chain still verifies from there.
ALTER TABLE audit_chain_heads ADD COLUMN base_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_chain_heads ADD COLUMN base_hash TEXT;
ALTER TABLE audit_chain_heads ADD COLUMN base_jws TEXT;
