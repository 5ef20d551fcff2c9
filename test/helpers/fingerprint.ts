import { sql } from './db.ts';

/** Row count and an md5 over every row (as text, sorted) of each user table: equal data, equal figures. */
export async function fingerprint(url: string): Promise<Record<string, { rows: number; md5: string }>> {
  const tables = await sql<{ t: string }>(
    url,
    "SELECT c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 1",
  );
  const out: Record<string, { rows: number; md5: string }> = {};
  for (const { t } of tables) {
    const [r] = await sql<{ rows: number; md5: string }>(
      url,
      // the whole row under an alias no column is named (a table's column x would win over alias x)
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(fingerprint_row::text, E'\\n' ORDER BY fingerprint_row::text), '')) AS md5 FROM "${t}" fingerprint_row`,
    );
    out[t] = r!;
  }
  return out;
}

/** A small plain-SQL dump (restored with psql): customers (1,000 rows) and `invoices` invoices, an index, a foreign key. */
export const invoicesDump = (invoices: number) => `
CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL);
CREATE TABLE invoices (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers(id), amount numeric(10,2), note text);
INSERT INTO customers SELECT g, 'c' || g || '@example.com', timestamptz '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 1000) g;
INSERT INTO invoices SELECT g, 1 + g % 1000, (g * 7 % 10000) / 100.0, repeat('x', g % 50) FROM generate_series(1, ${invoices}) g;
CREATE INDEX invoices_customer ON invoices (customer_id);
`;
