-- Per-account brute-force protection: failures since the last success, and a lock with
-- exponential back-off once they pass the threshold.
ALTER TABLE accounts ADD COLUMN failed_logins BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until BIGINT;

-- Fixed-window request counters shared by every node (per client IP and action).
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
