-- Ids are UUIDv7 text, times are Unix seconds computed by Tessera (never the database's clock).
CREATE TABLE tenants (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    -- Bumped in the same transaction as every signing-key change, so every node can tell
    -- when its in-memory copy of the decrypted keys is stale.
    key_set_version BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    alg TEXT NOT NULL,
    -- active: signs new tokens; inactive: published in JWKS so earlier tokens still verify;
    -- retired: no longer published, private key erased.
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive', 'retired')),
    public_jwk TEXT NOT NULL,
    -- AEAD ciphertext (nonce || ciphertext) of the PKCS#8 DER private key under the master key.
    private_key BLOB,
    master_key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deactivated_at BIGINT,
    retired_at BIGINT
);

CREATE INDEX signing_keys_tenant_status ON signing_keys (tenant_id, status);
