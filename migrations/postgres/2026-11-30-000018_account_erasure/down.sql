DROP INDEX accounts_erase_after;
ALTER TABLE accounts DROP COLUMN erase_after;
