-- Signed checkpoints of each tenant's audit chain head (a JWS by the tenant's key), published
-- at {issuer}/audit/checkpoints: removing the newest entries and rewinding the head, or
-- rewriting history, is detected against the last checkpoint (tessera audit verify).
CREATE TABLE audit_checkpoints (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    at BIGINT NOT NULL,
    jws TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
