-- Personal data at rest (docs/privacy.md), step 1 of 2: room for sealed values beside the
-- plaintext columns. Between this migration and the next, Tessera seals every existing row
-- in Rust (it needs the master key), then the next migration drops the plaintext.

-- Instance-wide keys wrapped by the master key. 'index-root' derives each tenant's
-- blind-index key (HMAC), so lookups never need a personal value in clear.
CREATE TABLE instance_keys (
    name TEXT PRIMARY KEY NOT NULL,
    wrapped BLOB NOT NULL,
    master_key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every account and profile holds its own data key, wrapped by the master key. Erasure
-- destroys it (crypto-shredding): ids and the audit chain stay, the personal data is gone.
ALTER TABLE accounts ADD COLUMN email_index TEXT;
ALTER TABLE accounts ADD COLUMN email_sealed BLOB;
ALTER TABLE accounts ADD COLUMN data_key BLOB;
ALTER TABLE accounts ADD COLUMN data_key_master_id TEXT;

ALTER TABLE profiles ADD COLUMN name_index TEXT;
ALTER TABLE profiles ADD COLUMN email_index TEXT;
ALTER TABLE profiles ADD COLUMN persona BLOB;
ALTER TABLE profiles ADD COLUMN data_key BLOB;
ALTER TABLE profiles ADD COLUMN data_key_master_id TEXT;
