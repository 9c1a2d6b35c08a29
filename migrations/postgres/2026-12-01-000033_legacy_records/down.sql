DROP TABLE legacy_records;
