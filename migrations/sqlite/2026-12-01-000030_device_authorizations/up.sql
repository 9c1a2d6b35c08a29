-- Device authorization grant (RFC 8628, oidc::device): a device's request, found by the hash
-- of its device_code (the device polls with it) or by its user_code (the person types it at
-- /device), until the person approves or denies it or it expires.
CREATE TABLE device_authorizations (
    device_code_hash TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    -- Normalised: eight letters, no separator.
    user_code TEXT NOT NULL,
    -- The validated request (scope, resources) as the sign-in pages carry it.
    parameters TEXT NOT NULL,
    -- pending, approved, denied or used.
    state TEXT NOT NULL,
    grant_id TEXT,
    interval_secs BIGINT NOT NULL,
    last_polled_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX device_authorizations_user_code ON device_authorizations (tenant_id, user_code);
CREATE INDEX device_authorizations_expires ON device_authorizations (expires_at);
