import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { infraError } from '../../core/errors.ts';

/**
 * The one place that reaches into testcontainers' non-public fields (`exposedPorts`, `createOpts`,
 * `hostConfig` of GenericContainer, all `protected`): testcontainers has no public way to publish
 * a port on a fixed host address or to publish none. Checked against this version; an upgrade
 * fails test/container-internals.test.ts until this file is checked against the new one.
 */
export const TESTCONTAINERS_CHECKED = '12.0.1';

/** The port PostgreSQL listens on inside the container when it has a network of its own. */
export const CONTAINER_PORT = 5432;

/** What the subclass touches, as testcontainers 12 declares it. */
interface Internals {
  exposedPorts: unknown[];
  createOpts: { ExposedPorts?: Record<string, object> };
  hostConfig: { PortBindings?: Record<string, { HostIp: string; HostPort: string }[]> };
}

/**
 * PostgreSqlContainer with its exposed port under our control: none on the host network (nothing
 * to publish), or one fixed host port otherwise, so the URL survives the restarts between load and
 * replay, bound to 127.0.0.1 when the engine runs on this machine.
 */
export class RehearsalContainer extends PostgreSqlContainer {
  withoutPorts(): this {
    const own = this.internals();
    own.exposedPorts = [];
    delete own.createOpts.ExposedPorts;
    delete own.hostConfig.PortBindings;
    return this;
  }

  withPublishedPort(hostPort: number, hostIp: string): this {
    const own = this.withoutPorts().internals();
    own.exposedPorts = [{ container: CONTAINER_PORT, host: hostPort }];
    own.createOpts.ExposedPorts = { [`${CONTAINER_PORT}/tcp`]: {} };
    own.hostConfig.PortBindings = { [`${CONTAINER_PORT}/tcp`]: [{ HostIp: hostIp, HostPort: String(hostPort) }] };
    return this;
  }

  /** The fields, or a clear error when this testcontainers no longer has them. */
  internals(): Internals {
    const own = this as unknown as Partial<Internals>;
    const missing = [
      Array.isArray(own.exposedPorts) ? null : 'exposedPorts',
      isObject(own.createOpts) ? null : 'createOpts',
      isObject(own.hostConfig) ? null : 'hostConfig',
    ].filter((f) => f !== null);
    if (missing.length > 0) {
      throw infraError(
        `testcontainers' GenericContainer has no ${missing.join(', ')} (pg-rehearse was checked against testcontainers ${TESTCONTAINERS_CHECKED})`,
        'install the testcontainers version in package.json (npm ci), or adapt src/provision/container/internals.ts to the new one',
      );
    }
    return own as Internals;
  }
}

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;
