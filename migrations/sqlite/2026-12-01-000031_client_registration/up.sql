-- Dynamic client registration (RFC 7591/7592, oidc::registration).
-- The tenant's policy: off, token (an initial access token is needed) or open.
ALTER TABLE tenants ADD COLUMN client_registration TEXT NOT NULL DEFAULT 'off';
-- How a client came to be: NULL by an administrator, 'token' or 'open' when it registered
-- itself; and the hash of its registration access token (RFC 7592).
ALTER TABLE clients ADD COLUMN registration TEXT;
ALTER TABLE clients ADD COLUMN registration_token_hash TEXT;
-- Initial access tokens an administrator hands out (hash only).
CREATE TABLE registration_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    description TEXT NOT NULL,
    max_uses BIGINT NOT NULL,
    uses BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX registration_tokens_hash ON registration_tokens (token_hash);
CREATE INDEX registration_tokens_tenant ON registration_tokens (tenant_id);
