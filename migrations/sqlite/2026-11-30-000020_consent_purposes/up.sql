-- Versioned consent purposes (docs/privacy.md): a tenant defines what it asks people to agree
-- to ("Terms of service", "Marketing e-mail"); each change is a new version, never an edit,
-- so the ledger can say exactly which text a person accepted.
CREATE TABLE consent_purposes (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- A stable key (`terms`, `marketing-email`) the ledger and clients refer to.
    purpose TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- Retired purposes are no longer asked for; their history stays.
    retired_at BIGINT,
    PRIMARY KEY (tenant_id, purpose)
);

CREATE TABLE consent_purpose_versions (
    tenant_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    version BIGINT NOT NULL,
    required INTEGER NOT NULL,
    -- The words people agree to, or where they are published (one of the two at least).
    text TEXT,
    url TEXT,
    -- What changed since the previous version, shown when people are asked again.
    changes TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, purpose, version),
    FOREIGN KEY (tenant_id, purpose) REFERENCES consent_purposes (tenant_id, purpose) ON DELETE CASCADE
);

-- The purposes a client needs, space-separated keys.
ALTER TABLE clients ADD COLUMN purposes TEXT NOT NULL DEFAULT '';

-- An optional purpose a person said no to when asked is recorded too (`declined`), so they
-- are not asked again until its next version. SQLite changes a CHECK by rebuilding the table.
CREATE TABLE consent_records_new (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    purpose TEXT,
    purpose_version BIGINT,
    decision TEXT NOT NULL CHECK (decision IN ('granted', 'withdrawn', 'declined')),
    at BIGINT NOT NULL,
    ip_sealed BLOB
);
INSERT INTO consent_records_new SELECT id, tenant_id, profile_id, client_id, scope, purpose,
    purpose_version, decision, at, ip_sealed FROM consent_records;
DROP TABLE consent_records;
ALTER TABLE consent_records_new RENAME TO consent_records;
CREATE INDEX consent_records_profile ON consent_records (profile_id, at);
