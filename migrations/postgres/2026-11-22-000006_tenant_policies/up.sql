-- Tenant policies. NULL lifetimes fall back to the instance defaults in the configuration.
ALTER TABLE tenants ADD COLUMN password_min_length BIGINT NOT NULL DEFAULT 12;
ALTER TABLE tenants ADD COLUMN mfa_policy TEXT NOT NULL DEFAULT 'optional';
ALTER TABLE tenants ADD COLUMN self_signup BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE tenants ADD COLUMN email_verification TEXT NOT NULL DEFAULT 'optional';
ALTER TABLE tenants ADD COLUMN session_idle_secs BIGINT;
ALTER TABLE tenants ADD COLUMN session_absolute_secs BIGINT;
ALTER TABLE tenants ADD COLUMN access_token_secs BIGINT;
ALTER TABLE tenants ADD COLUMN refresh_idle_secs BIGINT;
ALTER TABLE tenants ADD COLUMN refresh_absolute_secs BIGINT;
