ALTER TABLE accounts DROP COLUMN merged_into;
