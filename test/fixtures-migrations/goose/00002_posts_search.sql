-- +goose Up
ALTER TABLE posts ADD COLUMN search tsvector;

-- +goose StatementBegin
CREATE FUNCTION posts_search_update() RETURNS trigger AS $$
BEGIN
  NEW.search := to_tsvector('english', coalesce(NEW.title, '') || ' ' || coalesce(NEW.body, ''));
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd

CREATE TRIGGER posts_search BEFORE INSERT OR UPDATE ON posts
    FOR EACH ROW EXECUTE FUNCTION posts_search_update();

-- +goose Down
DROP TRIGGER posts_search ON posts;
DROP FUNCTION posts_search_update();
ALTER TABLE posts DROP COLUMN search;
