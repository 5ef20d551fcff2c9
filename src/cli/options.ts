import path from 'node:path';
import { Option, type Command } from 'commander';
import type { z } from 'zod';
import { usageError } from '../core/errors.ts';

/**
 * One definition per option: its flag and help line (commander builds the help from them) and its
 * zod type (the command's options are parsed and typed by the schema built from the same table).
 * The type is made when the command runs (zod is imported then, not for `--help`).
 */
type Zod = typeof z;
export interface OptionDef<T extends z.ZodType = z.ZodType> {
  flags: string;
  description: string;
  type: (zod: Zod) => T;
  /** repeatable: every occurrence collected into an array (default []) */
  repeat?: boolean;
  /** the allowed values, shown in the help and checked by commander */
  choices?: readonly string[];
}

export const opt = <T extends z.ZodType>(
  flags: string,
  description: string,
  type: (zod: Zod) => T,
  extra: Pick<OptionDef, 'repeat' | 'choices'> = {},
): OptionDef<T> => ({
  flags,
  description,
  type,
  ...extra,
});

/** A flag without a value: `--json` → true. */
export const flag = (flags: string, description: string) => opt(flags, description, (z) => z.boolean().optional());
/** A flag with a value: `--out <dir>`. */
export const value = (flags: string, description: string) => opt(flags, description, (z) => z.string().optional());
/** A flag given any number of times: `--pg-setting a=1 --pg-setting b=2`. */
export const repeated = (flags: string, description: string) => opt(flags, description, (z) => z.array(z.string()), { repeat: true });
/** A flag with a value from a closed set. */
export const oneOf = <const V extends readonly [string, ...string[]]>(flags: string, description: string, values: V) =>
  opt(flags, description, (z) => z.enum(values).optional(), { choices: values });

export type OptionDefs = Record<string, OptionDef>;
type Shape<D extends OptionDefs> = { [K in keyof D]: ReturnType<D[K]['type']> };
export type OptionsOf<D extends OptionDefs> = z.infer<z.ZodObject<Shape<D>>>;

/** The zod schema of a command's options, from its definitions. */
export async function optionsSchema<D extends OptionDefs>(defs: D): Promise<z.ZodObject<Shape<D>>> {
  const { z } = await import('zod');
  const shape = Object.fromEntries(Object.entries(defs).map(([k, d]) => [k, d.type(z)])) as Shape<D>;
  return z.object(shape);
}

/** Add the definitions to a commander command, in their order. */
function addOptions(command: Command, defs: OptionDefs): Command {
  for (const d of Object.values(defs)) {
    const o = new Option(d.flags, d.description);
    if (d.choices) o.choices(d.choices);
    if (d.repeat) o.argParser(collect).default([]);
    command.addOption(o);
  }
  return command;
}

/** Commander's option values, parsed by the command's schema (a mismatch is a usage error). */
async function parseOptions<D extends OptionDefs>(defs: D, values: unknown): Promise<OptionsOf<D>> {
  const parsed = (await optionsSchema(defs)).safeParse(values);
  if (parsed.success) return parsed.data as OptionsOf<D>;
  const issue = parsed.error.issues[0]!;
  throw usageError(`--${String(issue.path[0] ?? '')}: ${issue.message}`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export const colorFor = (stream: NodeJS.WriteStream) => Boolean(stream.isTTY) && !process.env.NO_COLOR;
export const shown = (file: string) => path.relative(process.cwd(), file) || file;

/** A command: its name, positional arguments, option table, help text after the options, and what it does. */
export interface CommandSpec<D extends OptionDefs = OptionDefs> {
  name: string;
  description: string;
  /** positional arguments: [name as in the usage line, description] */
  args?: [string, string][];
  options: D;
  /** printed after the generated option list: examples, exit codes */
  help?: string;
  /** resolves with the exit code */
  run(args: string[], opts: OptionsOf<D>): Promise<number>;
}

export const defineCommand = <D extends OptionDefs>(spec: CommandSpec<D>): CommandSpec<D> => spec;

/** Add a command to the program: commander parses, the option table's schema types, the spec runs. */
export function registerCommand<D extends OptionDefs>(program: Command, spec: CommandSpec<D>): void {
  const command = program.command(spec.name).description(spec.description);
  for (const [name, description] of spec.args ?? []) command.argument(name, description);
  addOptions(command, spec.options)
    .addHelpText('after', spec.help ?? '')
    .action(async (...received: unknown[]) => {
      const n = spec.args?.length ?? 0;
      process.exitCode = await spec.run(received.slice(0, n) as string[], await parseOptions(spec.options, received[n]));
    });
}
