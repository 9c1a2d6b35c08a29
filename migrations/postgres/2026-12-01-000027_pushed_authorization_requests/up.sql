-- Pushed authorization requests (RFC 9126, oidc::par): a client's validated authorization
-- request, kept under the hash of its request_uri for at most 60 seconds, used once.
CREATE TABLE pushed_authorization_requests (
    request_uri_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    parameters TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX pushed_authorization_requests_expires ON pushed_authorization_requests (expires_at);
-- A client that must push its authorization requests (RFC 9126 §6).
ALTER TABLE clients ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE;
