/** The GitHub Action's entry (action.yml runs `node dist/action/main.js`): exits with the tool's exit code once everything is written. */
import { runAction } from './run.ts';

process.exit(await runAction(process.env, { log: (line) => process.stdout.write(`${line}\n`) }));
