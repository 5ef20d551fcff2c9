import type { Logger } from '../util/log.ts';
import { startEmbedded } from './embedded.ts';
import { connectUrl } from './url.ts';
import type { Instance, ProvisionOptions } from './types.ts';

export type { Instance, ProvisionOptions, ProviderName, PgSettings } from './types.ts';
export { parseSettingFlags } from './settings.ts';
export { bundledMajor } from './embedded-binaries.ts';

/** A PostgreSQL database the rehearsal may change freely. */
export function provision(options: ProvisionOptions, log: Logger): Promise<Instance> {
  switch (options.provider) {
    case 'embedded':
      return startEmbedded(options, log);
    case 'url':
      return connectUrl(options, log);
  }
}
