-- Invitations (identity::invitation): set while an account created by invitation has not
-- chosen its password yet; cleared by the first password set by any way (invitation, reset).
ALTER TABLE accounts ADD COLUMN invited_at BIGINT;
