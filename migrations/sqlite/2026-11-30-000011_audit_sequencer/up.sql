-- Audit events are inserted unchained (seq, prev_hash and hash NULL) in the transaction of the
-- change they record; a sequencer chains committed events in batches afterwards. SQLite cannot
-- drop NOT NULL in place: the table is rebuilt.
CREATE TABLE audit_events_chained_later (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq BIGINT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT,
    hash TEXT,
    UNIQUE (tenant_id, seq)
);
INSERT INTO audit_events_chained_later
    (id, tenant_id, seq, at, actor, action, target, ip, details, prev_hash, hash)
SELECT id, tenant_id, seq, at, actor, action, target, ip, details, prev_hash, hash
FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_chained_later RENAME TO audit_events;
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
