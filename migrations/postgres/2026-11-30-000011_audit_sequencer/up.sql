-- Audit events are inserted unchained (seq, prev_hash and hash NULL) in the transaction of the
-- change they record, so no business transaction waits on a per-tenant lock. A sequencer then
-- chains committed events in batches, one sequencer per tenant at a time (it locks the
-- tenant's head row below, which business transactions never touch).
ALTER TABLE audit_events ALTER COLUMN seq DROP NOT NULL;
ALTER TABLE audit_events ALTER COLUMN prev_hash DROP NOT NULL;
ALTER TABLE audit_events ALTER COLUMN hash DROP NOT NULL;
CREATE INDEX audit_events_unchained ON audit_events (tenant_id, id) WHERE seq IS NULL;

-- The newest chained entry of each tenant: where the sequencer continues, and a witness that
-- makes deleting the newest entries (truncation) visible to `tessera audit verify`.
CREATE TABLE audit_chain_heads (
    tenant_id TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    chained_at BIGINT NOT NULL
);
INSERT INTO audit_chain_heads (tenant_id, seq, hash, chained_at)
SELECT e.tenant_id, e.seq, e.hash, e.at
FROM audit_events e
WHERE e.seq = (SELECT MAX(x.seq) FROM audit_events x WHERE x.tenant_id = e.tenant_id);
