DROP TABLE registration_tokens;
ALTER TABLE clients DROP COLUMN registration_token_hash;
ALTER TABLE clients DROP COLUMN registration;
ALTER TABLE tenants DROP COLUMN client_registration;
