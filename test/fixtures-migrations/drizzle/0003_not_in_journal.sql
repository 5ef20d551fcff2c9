-- drizzle's migrator runs only what the journal lists: this file is never run
DROP TABLE "users";
