-- DPoP (RFC 9449, oidc::dpop): clients that must send proofs, and public clients' refresh
-- tokens bound to the key that asked for them (its RFC 7638 thumbprint).
ALTER TABLE clients ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE refresh_tokens ADD COLUMN dpop_jkt TEXT;
