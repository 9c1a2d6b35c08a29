ALTER TABLE audit_chain_heads DROP COLUMN base_jws;
ALTER TABLE audit_chain_heads DROP COLUMN base_hash;
ALTER TABLE audit_chain_heads DROP COLUMN base_seq;
ALTER TABLE accounts DROP COLUMN inactivity_warned_at;
ALTER TABLE accounts DROP COLUMN last_active_at;
ALTER TABLE tenants DROP COLUMN retention_ran_at;
ALTER TABLE tenants DROP COLUMN retention_audit_days;
ALTER TABLE tenants DROP COLUMN retention_inactive_days;
