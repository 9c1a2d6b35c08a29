-- Consent as a ledger (docs/privacy.md): every grant and every withdrawal of a profile's
-- consent to a client is a new row, never changed. `consents` keeps the current state that
-- sign-in checks; this keeps the history people and administrators can see and export.
CREATE TABLE consent_records (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- Erasing the profile erases its history with it.
    profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    -- No foreign key: the history outlives a deleted client.
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    -- A consent purpose and its version (versioned purposes; NULL for scope consent).
    purpose TEXT,
    purpose_version BIGINT,
    decision TEXT NOT NULL CHECK (decision IN ('granted', 'withdrawn')),
    at BIGINT NOT NULL,
    -- The client address, sealed under the profile's data key.
    ip_sealed BLOB
);
CREATE INDEX consent_records_profile ON consent_records (profile_id, at);

-- A person's export gathers the audit entries they acted in or were the subject of.
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor);
CREATE INDEX audit_events_target ON audit_events (tenant_id, target);
