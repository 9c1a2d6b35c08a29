-- The purge (db::purge) finds dead rows by these columns.
CREATE INDEX authorization_requests_expiry ON authorization_requests (expires_at);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
CREATE INDEX sessions_death ON sessions ((COALESCE(ended_at, expires_at)));
CREATE INDEX login_challenges_expiry ON login_challenges (expires_at);
CREATE INDEX used_client_assertions_expiry ON used_client_assertions (expires_at);
CREATE INDEX revoked_access_tokens_expiry ON revoked_access_tokens (expires_at);
CREATE INDEX account_tokens_expiry ON account_tokens (expires_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
