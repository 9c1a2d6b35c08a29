ALTER TABLE grants DROP COLUMN resources;
DROP TABLE api_resource_clients;
DROP TABLE api_resources;
