-- Tenant text overrides (tenancy::branding): a JSON object {lang: {message id: text}} that
-- replaces the catalogue's texts on the tenant's hosted pages and mails; NULL for none.
ALTER TABLE tenants ADD COLUMN texts TEXT;
-- The tenant's time zone (an IANA name) for times shown on its pages; NULL for UTC.
ALTER TABLE tenants ADD COLUMN time_zone TEXT;
