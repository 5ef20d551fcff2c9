-- a comment is fine here
SELECT 1;

-- migrate:up
SELECT 2;
