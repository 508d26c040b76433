// `npm run bench:ab -- [REV] [--scenario token|get|introspect|refresh]… [--rounds N]`:
// this working tree against another revision (HEAD by default), side by side.
// Both builds serve at once, pinned to the same CPU, each driven by its own
// load generator; the ratio of their rates is the inverse ratio of their CPU
// cost per request, and the machine's drift hits both alike. The same build
// against itself measures within 2% of 1 this way (each round within 4%),
// where measuring one after the other moves ±10% here: small wins and losses
// become visible.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, killAllSync, ROOT, stopAll, table } from './lib.ts';
import { BenchError, CONNECTIONS, DURATION_SECONDS, log, measureTogether, median, WARMUP_SECONDS } from './measure.ts';
import { prepareGatehouse, type GatehouseScenario } from './gatehouse-server.ts';

const SCENARIOS: Record<string, GatehouseScenario> = {
  token: 'gatehouseToken', get: 'gatehouseGet', introspect: 'gatehouseIntrospect', refresh: 'gatehouseRefresh',
};
const USAGE = 'usage: npm run bench:ab -- [REV] [--scenario token|get|introspect|refresh]… [--rounds N]';

function options() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { scenario: { type: 'string', multiple: true }, rounds: { type: 'string', default: '3' } },
  });
  const names = values.scenario ?? Object.keys(SCENARIOS);
  const unknown = names.filter((name) => !(name in SCENARIOS));
  const rounds = Number(values.rounds);
  if (unknown.length > 0 || positionals.length > 1 || !Number.isInteger(rounds) || rounds < 1) throw new BenchError(USAGE);
  return { rev: positionals[0] ?? 'HEAD', names, rounds };
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();

const cleanups: (() => void)[] = [];
function cleanUp(): void {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: the rest still runs.
    }
  }
}

/** A checkout of `rev` beside this one, sharing its node_modules. */
function checkout(rev: string): string {
  const commit = git('rev-parse', '--verify', `${rev}^{commit}`);
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-ab-'));
  git('worktree', 'add', '--detach', dir, commit);
  cleanups.push(() => git('worktree', 'remove', '--force', dir));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  if (!existsSync(join(dir, 'package-lock.json')) || readFileSync(join(dir, 'package-lock.json'), 'utf8') !== readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) {
    log(`WARNING: ${rev}'s package-lock.json differs from this one; it runs on this checkout's node_modules.`);
  }
  return dir;
}

async function main(): Promise<void> {
  const { rev, names, rounds } = options();
  const base = checkout(rev);
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-ab-data-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const basePlans = await prepareGatehouse(join(dataDir, 'base'), base, `Gatehouse at ${rev}`);
  const workPlans = await prepareGatehouse(join(dataDir, 'work'), ROOT, 'Gatehouse, working tree');
  const servers = [...new Set([...basePlans, ...workPlans].map((plan) => plan.server))];

  /** Per round: each side's req/s and the share of the CPU its server had. */
  const results = new Map<string, { base: number; work: number; baseCpu: number; workCpu: number }[]>(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    log(`round ${round + 1} of ${rounds}:`);
    for (const name of names) {
      const key = SCENARIOS[name]!;
      const pair = [basePlans.find((p) => p.key === key)!, workPlans.find((p) => p.key === key)!];
      // Which of the two starts first alternates, in case it matters.
      const ordered = round % 2 === 0 ? pair : [...pair].reverse();
      const measured = await measureTogether(ordered, servers);
      const [b, w] = round % 2 === 0 ? measured : [...measured].reverse();
      results.get(name)!.push({ base: b!.result.requestsPerSec, work: w!.result.requestsPerSec, baseCpu: b!.serverCpu, workCpu: w!.serverCpu });
    }
  }

  const rows = names.map((name) => {
    const runs = results.get(name)!;
    // Requests per CPU-second: the scheduler need not split the CPU evenly.
    const ratios = runs.map((r) => (r.work / r.workCpu) / (r.base / r.baseCpu));
    const side = (rate: number, cpu: number) => `${fmt.int(rate)} (${fmt.pct(cpu)})`;
    return [name, runs.map((r) => side(r.base, r.baseCpu)).join(' / '), runs.map((r) => side(r.work, r.workCpu)).join(' / '), ratios.map(fmt.ratio).join(', '), fmt.ratio(median(ratios))];
  });
  process.stdout.write([
    '',
    `Working tree against ${rev}, side by side: ${rounds} rounds of ${WARMUP_SECONDS} s warm-up + ${DURATION_SECONDS} s, ${CONNECTIONS} connections each.`,
    '',
    table(['scenario', `${rev}, req/s (its CPU share)`, 'working tree, req/s (its CPU share)', 'working tree / base, each round', 'median'], rows, [1, 2, 3, 4]),
    '',
    'The ratio is of requests per CPU-second, each server\'s rate over its share of the CPU. Above 1: the working tree serves more.',
    '',
  ].join('\n'));
}

process.on('exit', () => {
  killAllSync();
  cleanUp();
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

let code = 0;
try {
  await main();
} catch (error) {
  log(`\nBENCH FAILED: ${error instanceof BenchError ? error.message : (error as Error).stack ?? String(error)}`);
  code = 1;
}
await stopAll();
cleanUp();
process.exit(code);
