-- How many data rows each finished file holds, shown with its size.
ALTER TABLE exports ADD COLUMN file_rows BIGINT;
