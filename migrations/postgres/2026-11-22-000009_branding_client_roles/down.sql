DROP TABLE client_roles;
ALTER TABLE tenants DROP COLUMN accent_color;
ALTER TABLE tenants DROP COLUMN logo_url;
