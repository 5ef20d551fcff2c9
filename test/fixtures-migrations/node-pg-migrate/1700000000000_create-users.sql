-- Up Migration
CREATE TABLE users (
  id serial PRIMARY KEY,
  email text NOT NULL
);

-- Down Migration
DROP TABLE users;
