-- Clients held to the FAPI 2.0 Security Profile (PAR, PKCE S256, DPoP, private_key_jwt with
-- PS256 or ES256, tokens signed with PS256, ES256 or EdDSA, codes of at most 60 s).
ALTER TABLE clients ADD COLUMN fapi2 BOOLEAN NOT NULL DEFAULT FALSE;
