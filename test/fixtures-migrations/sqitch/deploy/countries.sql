-- Deploy flipr:countries to pg
-- requires: appschema
\set ON_ERROR_STOP 1

BEGIN;

CREATE TABLE flipr.countries (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

COPY flipr.countries (code, name) FROM stdin;
FR	France
CI	Côte d'Ivoire
GB	United Kingdom; of Great Britain
\.

COMMIT;
