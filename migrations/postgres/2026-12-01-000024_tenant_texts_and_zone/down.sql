ALTER TABLE tenants DROP COLUMN time_zone;
ALTER TABLE tenants DROP COLUMN texts;
