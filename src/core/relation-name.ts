/**
 * SQL: the name reports give the pg_class row `c`: its regclass text (`orders`, `app.orders`), except
 * for a TOAST table and its index, named by the table they belong to (`report (TOAST)`,
 * `report (TOAST index)`) instead of `pg_toast.pg_toast_16513` — a reader knows the table, not its
 * oid. Where the owner is not visible (created in another session's open transaction), the
 * regclass text stays.
 */
export function relationNameSql(c: string): string {
  const own = `${c}.oid::regclass::text`;
  return `CASE WHEN ${c}.relnamespace <> 'pg_toast'::regnamespace THEN ${own}
    WHEN ${c}.relkind = 't' THEN coalesce((SELECT o.oid::regclass::text || ' (TOAST)' FROM pg_class o WHERE o.reltoastrelid = ${c}.oid LIMIT 1), ${own})
    ELSE coalesce((SELECT o.oid::regclass::text || ' (TOAST index)' FROM pg_index x JOIN pg_class o ON o.reltoastrelid = x.indrelid
                    WHERE x.indexrelid = ${c}.oid LIMIT 1), ${own}) END`;
}
