-- Personal data at rest, step 2 of 2: every row was sealed (Rust, after the previous
-- migration); the plaintext columns go, with the constraints and indexes built on them.
-- (Dropped values stay in the table's pages until they are rewritten: after upgrading a
-- database that held personal data, run VACUUM FULL accounts, profiles; see docs/privacy.md.)
ALTER TABLE accounts DROP COLUMN email;
ALTER TABLE accounts ALTER COLUMN email_index SET NOT NULL;
ALTER TABLE accounts ALTER COLUMN email_sealed SET NOT NULL;
ALTER TABLE accounts ADD CONSTRAINT accounts_tenant_email_index UNIQUE (tenant_id, email_index);

ALTER TABLE profiles DROP COLUMN name;
ALTER TABLE profiles DROP COLUMN email;
ALTER TABLE profiles DROP COLUMN picture;
ALTER TABLE profiles DROP COLUMN locale;
ALTER TABLE profiles DROP COLUMN attributes;
ALTER TABLE profiles ALTER COLUMN name_index SET NOT NULL;
ALTER TABLE profiles ALTER COLUMN persona SET NOT NULL;
ALTER TABLE profiles ADD CONSTRAINT profiles_account_name_index UNIQUE (account_id, name_index);
CREATE UNIQUE INDEX profiles_tenant_email ON profiles (tenant_id, email_index);
