-- A sign-in hands the browser a new binding cookie and moves its pending authorization
-- requests to it: found by browser.
CREATE INDEX authorization_requests_browser ON authorization_requests (tenant_id, browser_hash);
