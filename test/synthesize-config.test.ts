import { describe, expect, it } from 'vitest';
import { resolvePlan, validate } from '../src/config/index.ts';
import { resolveDistinct } from '../src/load/synthesize/plan.ts';

const m = { migrations: 'db/migrations' };

describe('--synthesize options', () => {
  it('flags and config keys become a synthesize load', () => {
    expect(resolvePlan({}, { ...m, schema: 's.sql', synthesize: 'p.json' }).load).toEqual({
      kind: 'synthesize',
      schema: 's.sql',
      stats: 'p.json',
      fraction: 1,
      seed: 42,
    });
    const file = validate({ schema: 's.sql', synthesize: 'p.json', fraction: '0.01', seed: 7 }, 'rehearse.config.json');
    expect(resolvePlan(file, m).load).toEqual({ kind: 'synthesize', schema: 's.sql', stats: 'p.json', fraction: 0.01, seed: 7 });
  });

  it('says what is missing or clashes', () => {
    expect(() => resolvePlan({}, { ...m, synthesize: 'p.json' })).toThrow('--synthesize needs --schema');
    expect(() => resolvePlan({}, { ...m, schema: 's.sql' })).toThrow('--schema applies to --synthesize');
    expect(() => resolvePlan({}, { ...m, fraction: 0.5 })).toThrow('--fraction applies to --synthesize');
    expect(() => resolvePlan({}, { ...m, schema: 's.sql', synthesize: 'p.json', dump: 'x.dump' })).toThrow('--synthesize and --dump both given');
    expect(() => validate({ fraction: -1 }, 'flags')).toThrow(/fraction/);
  });

  it('n_distinct: a count, or minus a fraction of the rows', () => {
    expect(resolveDistinct(6, 1000)).toBe(6);
    expect(resolveDistinct(-0.25, 1000)).toBe(250);
    expect(resolveDistinct(-1, 1000)).toBe(1000);
    expect(resolveDistinct(undefined, 1000)).toBe(1000);
    expect(resolveDistinct(undefined, 1000, 40)).toBe(40);
  });
});
