CREATE TABLE consent_records_old (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    purpose TEXT,
    purpose_version BIGINT,
    decision TEXT NOT NULL CHECK (decision IN ('granted', 'withdrawn')),
    at BIGINT NOT NULL,
    ip_sealed BLOB
);
INSERT INTO consent_records_old SELECT id, tenant_id, profile_id, client_id, scope, purpose,
    purpose_version, decision, at, ip_sealed FROM consent_records WHERE decision <> 'declined';
DROP TABLE consent_records;
ALTER TABLE consent_records_old RENAME TO consent_records;
CREATE INDEX consent_records_profile ON consent_records (profile_id, at);
ALTER TABLE clients DROP COLUMN purposes;
DROP TABLE consent_purpose_versions;
DROP TABLE consent_purposes;
