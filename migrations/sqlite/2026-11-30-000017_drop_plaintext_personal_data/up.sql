-- Personal data at rest, step 2 of 2: every row was sealed (Rust, after the previous
-- migration); the plaintext columns go. SQLite cannot drop a column inside a UNIQUE
-- constraint, so both tables are rebuilt the documented way (foreign keys off, outside any
-- other transaction, so dropping the old table cascades nowhere).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE accounts_sealed (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    -- HMAC of the normalised address under the tenant's blind-index key.
    email_index TEXT NOT NULL,
    -- The address, sealed under data_key.
    email_sealed BLOB NOT NULL,
    email_verified_at BIGINT,
    password_hash TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'deleted')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    -- NULL once erased: what it sealed can no longer be read.
    data_key BLOB,
    data_key_master_id TEXT,
    UNIQUE (tenant_id, email_index)
);
INSERT INTO accounts_sealed (id, tenant_id, email_index, email_sealed, email_verified_at,
    password_hash, status, created_at, updated_at, failed_logins, locked_until, data_key,
    data_key_master_id)
SELECT id, tenant_id, email_index, email_sealed, email_verified_at, password_hash, status,
    created_at, updated_at, failed_logins, locked_until, data_key, data_key_master_id
FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_sealed RENAME TO accounts;

CREATE TABLE profiles_sealed (
    id TEXT PRIMARY KEY NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    is_default INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    email_verified_at BIGINT,
    -- HMAC of the lowercased name (per account) and of the email (per tenant).
    name_index TEXT NOT NULL,
    email_index TEXT,
    -- Name, email, picture, locale and attributes as JSON, sealed under data_key.
    persona BLOB NOT NULL,
    data_key BLOB,
    data_key_master_id TEXT,
    UNIQUE (account_id, name_index)
);
INSERT INTO profiles_sealed (id, tenant_id, account_id, is_default, created_at, updated_at,
    email_verified_at, name_index, email_index, persona, data_key, data_key_master_id)
SELECT id, tenant_id, account_id, is_default, created_at, updated_at, email_verified_at,
    name_index, email_index, persona, data_key, data_key_master_id
FROM profiles;
DROP TABLE profiles;
ALTER TABLE profiles_sealed RENAME TO profiles;
CREATE INDEX profiles_account ON profiles (account_id);
CREATE UNIQUE INDEX profiles_tenant_email ON profiles (tenant_id, email_index);

COMMIT;
PRAGMA foreign_keys = ON;
