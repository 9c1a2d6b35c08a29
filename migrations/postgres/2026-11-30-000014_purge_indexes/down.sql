DROP INDEX authorization_requests_expiry;
DROP INDEX authorization_codes_expiry;
DROP INDEX sessions_death;
DROP INDEX login_challenges_expiry;
DROP INDEX used_client_assertions_expiry;
DROP INDEX revoked_access_tokens_expiry;
DROP INDEX account_tokens_expiry;
DROP INDEX refresh_tokens_expiry;
