CREATE TABLE "a" ("id" integer);
