DROP TABLE audit_chain_heads;
DELETE FROM audit_events WHERE seq IS NULL;
CREATE TABLE audit_events_chained_now (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (tenant_id, seq)
);
INSERT INTO audit_events_chained_now SELECT * FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE audit_events_chained_now RENAME TO audit_events;
