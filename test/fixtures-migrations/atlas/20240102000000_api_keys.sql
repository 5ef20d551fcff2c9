-- Add extension "pgcrypto"
CREATE EXTENSION IF NOT EXISTS "pgcrypto";
-- Create "api_keys" table
CREATE TABLE "api_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "user_id" bigint NOT NULL, "secret_hash" text NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "api_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
