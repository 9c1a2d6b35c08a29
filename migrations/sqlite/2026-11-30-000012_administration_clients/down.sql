ALTER TABLE clients DROP COLUMN administration;
