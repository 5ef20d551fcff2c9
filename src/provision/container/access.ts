import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { StartedPostgreSqlContainer } from '@testcontainers/postgresql';
import type { Docker } from './engine.ts';
import { execInContainer } from './exec.ts';
import type { ContainerAccess } from './types.ts';

const COPY_PREFIX = '/tmp/pg-rehearse-';

/**
 * The server's own container, for its pg_restore/psql/pg_dump: commands run with `pgEnv` (PG*
 * pointing at the rehearsal database), copies go to fresh folders under /tmp and only those are removed.
 */
export function containerAccess(docker: Docker, started: StartedPostgreSqlContainer, image: string, pgEnv: Record<string, string>): ContainerAccess {
  const id = started.getId();
  return {
    id,
    image,
    exec: (cmd, execOptions) => execInContainer(docker, id, cmd, pgEnv, execOptions),
    async copyIn(hostPath) {
      const st = await fs.stat(hostPath);
      const target = `${COPY_PREFIX}${crypto.randomBytes(6).toString('hex')}/${path.basename(hostPath)}`;
      if (st.isDirectory()) await started.copyDirectoriesToContainer([{ source: hostPath, target }]);
      else await started.copyFilesToContainer([{ source: hostPath, target }]);
      return target;
    },
    async removeCopy(containerPath) {
      if (!containerPath.startsWith(COPY_PREFIX)) throw new Error(`not a copy made by copyIn: ${containerPath}`);
      await execInContainer(docker, id, ['rm', '-rf', path.posix.dirname(containerPath)], {});
    },
    archive: (containerPath) => docker.getContainer(id).getArchive({ path: containerPath }),
  };
}
