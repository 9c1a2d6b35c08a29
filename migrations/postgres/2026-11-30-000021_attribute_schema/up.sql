-- A tenant's schema of custom profile attributes (docs/privacy.md): each attribute's type,
-- whether it is sensitive (masked for administrators without pii:read), the scope that
-- releases it as a claim, and how long a value is kept after it was set.
CREATE TABLE attribute_definitions (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('string', 'number', 'boolean', 'date')),
    sensitive BOOLEAN NOT NULL,
    claim_scope TEXT,
    retention_days BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
