import type pg from 'pg';

/**
 * A deadlock (40P01) names only backend pids in its DETAIL ("Process 123 waits for … blocked by
 * process 456"). Right after the error the other side still runs: its application_name says who it
 * is (rehearse/app/<app>/<query> for the workload, docs/workload.md). Returns "app old, query
 * hold_b (pid 456)"-style names of the other processes, or [] when they are gone.
 */
export async function deadlockPartners(sampler: pg.Client, detail: string | undefined, self: number): Promise<string[]> {
  const pids = [...new Set([...(detail ?? '').matchAll(/[Pp]rocess (\d+)/g)].map((m) => Number(m[1])))].filter((p) => p !== self);
  if (pids.length === 0) return [];
  const { rows } = await sampler
    .query<{ pid: number; application_name: string }>('SELECT pid, application_name FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])
    .catch(() => ({ rows: [] as { pid: number; application_name: string }[] }));
  return pids.map((pid) => {
    const name = rows.find((r) => r.pid === pid)?.application_name ?? '';
    const app = /^rehearse\/app\/([^/]+)\/(.+)$/.exec(name);
    if (app) return `the workload's app ${app[1]}, ${app[2]} (pid ${pid})`;
    return name ? `${name} (pid ${pid})` : `pid ${pid} (gone)`;
  });
}
