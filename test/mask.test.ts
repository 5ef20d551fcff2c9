import { describe, expect, it } from 'vitest';
import { maskSecrets, stripRowData } from '../src/core/mask.ts';

describe('maskSecrets', () => {
  it('masks URL passwords, password= pairs and PASSWORD literals', () => {
    expect(maskSecrets('postgresql://app:s3cr%40t@db:5432/x')).toBe('postgresql://app:****@db:5432/x');
    expect(maskSecrets('host=db password=hunter2 user=x')).toBe('host=db password=**** user=x');
    expect(maskSecrets("CREATE ROLE app LOGIN PASSWORD 'it''s secret'")).toBe("CREATE ROLE app LOGIN PASSWORD '****'");
  });
});

describe('stripRowData', () => {
  it('cuts row values out of PostgreSQL error details', () => {
    expect(stripRowData('Key (email)=(a@b.c) already exists.')).toBe('Key (email)=(…) already exists.');
    expect(stripRowData('Key (lower(email))=(a@b.c) already exists.')).toBe('Key (lower(email))=(…) already exists.');
    expect(stripRowData('Failing row contains (1, null, secret).')).toBe('Failing row contains (…).');
  });
});
