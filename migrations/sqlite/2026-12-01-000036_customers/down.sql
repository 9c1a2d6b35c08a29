ALTER TABLE grants DROP COLUMN claims;
DROP INDEX accounts_customer;
ALTER TABLE accounts DROP COLUMN customer_id;
DROP TABLE customer_identifiers;
DROP TABLE customers;
