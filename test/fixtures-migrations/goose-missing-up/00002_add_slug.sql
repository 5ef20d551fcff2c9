-- Up: add a slug (written without goose's annotation)
ALTER TABLE posts ADD COLUMN slug text;
