-- One-time links that create the first platform administrator (stored hashed, 1 h).
-- Platform administrators themselves are accounts of the reserved internal tenant
-- '_platform', so sign-in, lockout, password hashing and sessions stay in one place.
CREATE TABLE platform_setup_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
