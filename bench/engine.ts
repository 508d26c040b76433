// The engine benchmark (part of `npm run bench`; alone: `node bench/engine.ts`).
// On one PostgreSQL, side by side in the same rounds:
//
// - Throughput: N items queued, then drained by a consumer pinned to CPU 0:
//   Gatehouse runs of a one-step `transform` process (one node, and two
//   nodes on CPUs 0 and 1), graphile-worker jobs (a no-op task, each job
//   added on its own, its defaults but for concurrency), pg-boss jobs (the
//   same no-op, with the work settings that suit it best). Gatehouse on
//   SQLite too. The rate is taken from outside: a poll every POLL_MS of how
//   many items are left, from the first item done to the last (items done
//   per second between those two polls).
// - Latency from start to the first step running, on an idle node: runs
//   started one at a time, then the gap between each run's `run.started`
//   and its step's `step.started` event (both stamped by Gatehouse, to the
//   millisecond). The peers' time from add to their handler, for comparison.
//
// What a run does that a job does not: it is made of a copy of its process's
// steps; its claim, its step's state, its events (started, step started,
// step succeeded, finished) and its data are written in one transaction; the
// step is a JSONata evaluation in a sandbox thread; every change is
// published for live streams on the other nodes.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { makeWorkerUtils } from 'graphile-worker';
import { PgBoss } from 'pg-boss';
import { fmt, NODE, processCpuMs, ROOT, spawnPinned, table, type Child } from './lib.ts';
import { BenchError, LOAD_CPU, log, median, SERVER_CPU, waitForQuiet } from './measure.ts';
import { appToken, expectFinished, oneStepProcess, startNode, startRuns, type Workspace } from './engine-gatehouse.ts';

const ITEMS = Number(process.env.BENCH_ENGINE_ITEMS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ENGINE_ROUNDS ?? 3);
const LATENCY_RUNS = Number(process.env.BENCH_ENGINE_LATENCY_RUNS ?? 300);
/** Gatehouse's default GATEHOUSE_ENGINE_CONCURRENCY; the peers get the same. */
const CONCURRENCY = 32;
const POLL_MS = 10;
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/**
 * pg-boss's work() settings, two ways. Its workers wait out the polling
 * interval (0.5 s at least) after every fetch unless a "burst" trigger
 * holds, and a burst needs a batch larger than one.
 * - One job per fetch, like graphile-worker and like a run here: CONCURRENCY
 *   workers, polling as fast as pg-boss allows (with its defaults, one
 *   worker waiting 30 s between fetches, it drained next to nothing). The
 *   throughput target is set against this.
 * - Its fastest (of those tried: {localConcurrency: 4, batchSize: 8} was
 *   two thirds of it): one worker fetching batches of CONCURRENCY back to
 *   back, each batch fetched and completed in one statement. No target:
 *   a batch queue's figure, shown for what it is.
 */
const PGBOSS_ONE_PER_FETCH = { localConcurrency: CONCURRENCY, batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 0.5 };
const PGBOSS_BATCHED = { batchSize: CONCURRENCY, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 };
/** pg-boss one job per fetch runs ~64 jobs/s: fewer items keep its drain to ~10 s. */
const PGBOSS_ONE_PER_FETCH_ITEMS = Math.max(100, Math.round(ITEMS / 8));

export const ENGINE_TARGETS = {
  /** Gatehouse runs/s on PostgreSQL (one node) over pg-boss jobs/s. */
  runsVsPgBoss: 3,
  /** … over graphile-worker jobs/s. */
  runsVsGraphileWorker: 0.5,
  /** p50 from start to the first step running, in ms. */
  latencyP50MsPostgres: 5,
  latencyP50MsSqlite: 2,
};

type System = 'gatehousePg' | 'gatehousePg2' | 'graphileWorker' | 'pgBoss' | 'pgBossBatched' | 'gatehouseSqlite';
const LABELS: Record<System, string> = {
  gatehousePg: 'Gatehouse runs, PostgreSQL, 1 node',
  gatehousePg2: 'Gatehouse runs, PostgreSQL, 2 nodes',
  graphileWorker: `graphile-worker jobs (concurrency ${CONCURRENCY})`,
  pgBoss: `pg-boss jobs (one per fetch, ${CONCURRENCY} workers)`,
  pgBossBatched: `pg-boss jobs (batches of ${CONCURRENCY}, back to back)`,
  gatehouseSqlite: 'Gatehouse runs, SQLite',
};

export interface Drain {
  /** Items done between the first and the last poll, and the seconds between them. */
  items: number;
  seconds: number;
  perSec: number;
  /** CPU the consumer processes used meanwhile, in cores (1 = one core busy throughout). */
  consumerCores: number;
  /** CPU PostgreSQL's processes used meanwhile, in cores. */
  postgresCores: number;
}

export interface Latency {
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

export interface EngineResults {
  items: number;
  rounds: number;
  postgres: boolean;
  drains: Partial<Record<System, Drain[]>>;
  medians: Partial<Record<System, Drain>>;
  latency: Partial<Record<'gatehousePg' | 'gatehouseSqlite' | 'graphileWorker' | 'pgBoss', Latency>>;
  ratios: { vsPgBoss?: number; vsPgBossBatched?: number; vsGraphileWorker?: number; twoNodesVsOne?: number };
  met: { vsPgBoss?: boolean; vsGraphileWorker?: boolean; latencyPg?: boolean; latencySqlite?: boolean };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** CPU time (ms) each PostgreSQL process has used so far, by pid. */
function postgresCpu(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') byPid.set(Number(entry), processCpuMs(Number(entry)));
    } catch {
      // Gone meanwhile.
    }
  }
  return byPid;
}

/** CPU (ms) PostgreSQL's processes used since `before`; a backend that ended meanwhile is not counted (an undercount, never a negative). */
function postgresCpuSince(before: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of postgresCpu()) total += ms - (before.get(pid) ?? 0);
  return total;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
function latencyOf(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return { samples: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/**
 * Polls `remaining` every POLL_MS until it is 0. The rate counts what was
 * done between the first poll that saw progress and the last, so neither the
 * consumers' start-up nor the poll's granularity is in it.
 */
async function drain(what: string, total: number, consumers: Child[], remaining: () => Promise<number>): Promise<Drain> {
  const deadline = Date.now() + 300_000;
  let first: { at: number; left: number; cpu: number; pgCpu: Map<number, number> } | undefined;
  for (;;) {
    const left = await remaining();
    const at = performance.now();
    if (first === undefined && left < total) {
      first = { at, left, cpu: consumers.reduce((s, c) => s + processCpuMs(c.process.pid), 0), pgCpu: postgresCpu() };
    }
    if (left === 0) {
      if (!first) throw new BenchError(`${what}: nothing was left from the start`);
      const seconds = (at - first.at) / 1000;
      const cpu = consumers.reduce((s, c) => s + processCpuMs(c.process.pid), 0) - first.cpu;
      const pgCpu = postgresCpuSince(first.pgCpu);
      return { items: first.left, seconds, perSec: first.left / seconds, consumerCores: cpu / 1000 / seconds, postgresCores: pgCpu / 1000 / seconds };
    }
    for (const c of consumers) {
      if (c.process.exitCode !== null || c.process.signalCode !== null) throw new BenchError(`${what}: ${c.name} exited:\n${c.output()}`);
    }
    if (Date.now() > deadline) throw new BenchError(`${what}: ${left} of ${total} still left after 300 s`);
    await sleep(POLL_MS);
  }
}

/** A fresh PostgreSQL schema; its URL sets the search_path to it. */
async function freshSchema(admin: pg.Client, name: string): Promise<{ schema: string; url: string }> {
  const schema = `bench_${name}_${process.pid}`;
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(PG_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: url.href };
}

// ---------------------------------------------------------------- Gatehouse

interface GatehouseTarget {
  databaseUrl: string;
  workspace: Workspace;
  /** Runs not yet finished. */
  remaining(): Promise<number>;
  /** PostgreSQL only: holds every scheduled run (a lease no node has), then lets them all go at once. */
  hold?(): Promise<void>;
  release?(): Promise<void>;
  latencies(runIds: string[]): Promise<number[]>;
  close(): Promise<void>;
}

async function gatehouseOnPostgres(admin: pg.Client): Promise<GatehouseTarget> {
  const { schema, url } = await freshSchema(admin, 'gatehouse');
  const q = (text: string, values: unknown[] = []) => admin.query(text.replaceAll('$schema', schema), values);
  const workspace = await prepareWorkspace(url);
  return {
    databaseUrl: url,
    workspace,
    remaining: async () => Number((await q('select count(*) as n from $schema.process_runs where due_at is not null')).rows[0].n),
    hold: async () => {
      await q(`update $schema.process_runs set lease_owner = 'bench-hold', lease_expires_at = '9999-12-31T00:00:00.000Z' where due_at is not null`);
    },
    release: async () => {
      await q(`update $schema.process_runs set lease_owner = null, lease_expires_at = null where lease_owner = 'bench-hold'`);
      // Every node hears it as one of their own "a run is due" notifications (see src/runs/notifier.ts).
      await q('select pg_notify($1, $2)', [`gatehouse_${schema}`.slice(0, 63), 'bench\nwake ']);
    },
    latencies: async (ids) => gaps((await q(`select run_id, type, at from $schema.run_events where run_id = any($1) and type in ('run.started', 'step.started')`, [ids])).rows),
    close: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

async function gatehouseOnSqlite(dataDir: string): Promise<GatehouseTarget> {
  const file = join(dataDir, 'engine.db');
  const url = `sqlite:${file}`;
  const workspace = await prepareWorkspace(url);
  const db = new DatabaseSync(file);
  db.exec('PRAGMA busy_timeout = 5000');
  const count = db.prepare('select count(*) as n from process_runs where due_at is not null');
  const events = db.prepare(`select run_id, type, at from run_events where run_id in (select value from json_each(?)) and type in ('run.started', 'step.started')`);
  return {
    databaseUrl: url,
    workspace,
    remaining: async () => Number((count.get() as { n: number }).n),
    latencies: async (ids) => gaps(events.all(JSON.stringify(ids)) as { run_id: string; type: string; at: string }[]),
    close: async () => db.close(),
  };
}

/** Per run, ms from `run.started` to its first `step.started`. */
function gaps(rows: { run_id: string; type: string; at: string }[]): number[] {
  const byRun = new Map<string, { started?: number; step?: number }>();
  for (const row of rows) {
    const entry = byRun.get(row.run_id) ?? {};
    const at = Date.parse(row.at);
    if (row.type === 'run.started') entry.started = at;
    else entry.step = Math.min(entry.step ?? Infinity, at);
    byRun.set(row.run_id, entry);
  }
  return [...byRun.values()].filter((e) => e.started !== undefined && e.step !== undefined).map((e) => e.step! - e.started!);
}

/** A node without workers, just long enough to set up the workspace. */
async function prepareWorkspace(databaseUrl: string): Promise<Workspace> {
  const node = await startNode('gatehouse (set-up)', LOAD_CPU, databaseUrl, false);
  try {
    const token = await appToken(node.base, databaseUrl);
    return { token, processId: await oneStepProcess(node.base, token) };
  } finally {
    await node.child.stop();
  }
}

/** Queues ITEMS started runs through a node without workers, then drains them with `nodes` nodes (CPU 0, then 1). */
async function gatehouseDrain(target: GatehouseTarget, nodes: 1 | 2, label: string): Promise<Drain> {
  const queue = await startNode('gatehouse (queueing)', LOAD_CPU, target.databaseUrl, false);
  let ids: string[];
  try {
    ids = await startRuns(queue.base, target.workspace, ITEMS);
  } finally {
    await queue.child.stop();
  }
  await target.hold?.();
  await waitForQuiet();
  log(`  draining ${ITEMS} runs: ${label}…`);
  const consumers = await Promise.all([SERVER_CPU, LOAD_CPU].slice(0, nodes).map((cpu, i) => startNode(`gatehouse node ${i + 1}`, cpu, target.databaseUrl, true)));
  try {
    await target.release?.();
    const result = await drain(label, ITEMS, consumers.map((c) => c.child), () => target.remaining());
    // Spot checks: the step ran and its result is in the run's data.
    for (const id of [ids[0]!, ids[Math.floor(ids.length / 2)]!, ids.at(-1)!]) await expectFinished(consumers[0]!.base, target.workspace.token, id);
    return result;
  } finally {
    await Promise.all(consumers.map((c) => c.child.stop()));
  }
}

/** Runs started one at a time on an idle node; ms from start to the step running, per run. */
async function gatehouseLatency(target: GatehouseTarget, label: string): Promise<Latency> {
  const node = await startNode('gatehouse (latency)', SERVER_CPU, target.databaseUrl, true);
  try {
    await waitForQuiet();
    log(`  latency, start → first step running: ${label}, ${LATENCY_RUNS} runs one at a time…`);
    await startRuns(node.base, target.workspace, 20, 1);
    const ids: string[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      ids.push(...await startRuns(node.base, target.workspace, 1, 1));
      await sleep(5);
    }
    const deadline = Date.now() + 30_000;
    while ((await target.remaining()) > 0) {
      if (Date.now() > deadline) throw new BenchError(`${label}: the latency runs did not finish`);
      await sleep(20);
    }
    const values = await target.latencies(ids);
    if (values.length !== ids.length) throw new BenchError(`${label}: ${values.length} of ${ids.length} runs have both events`);
    return latencyOf(values);
  } finally {
    await node.child.stop();
  }
}

// ---------------------------------------------------------------- the peers

interface Peer {
  /** Queues `n` jobs, each on its own; `data(i)` is each job's payload; with `gapMs`, one at a time, that far apart, each stamped with when it was sent. */
  add(n: number, data: (i: number) => object, gapMs?: number): Promise<void>;
  remaining(): Promise<number>;
  /** Starts a consumer; `work`: pg-boss's work() options. */
  start(cpu: number, work?: object): Promise<Child>;
  close(): Promise<void>;
}

/** Starts a consumer script and waits for its "ready". */
async function startConsumer(name: string, cpu: number, script: string, env: Record<string, string>): Promise<Child> {
  const child = spawnPinned(name, cpu, NODE, [join(ROOT, script)], env);
  const deadline = Date.now() + 30_000;
  while (!child.stdout().includes('ready')) {
    if (child.process.exitCode !== null || Date.now() > deadline) throw new BenchError(`${name} did not start:\n${child.output()}`);
    await sleep(20);
  }
  return child;
}

/** Stops a consumer; returns what it reports: how many it ran, and the start latencies it saw. */
async function stopConsumer(child: Child): Promise<{ handled: number; latenciesMs: number[] }> {
  await child.stop();
  const line = child.stdout().trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as { handled: number; latenciesMs: number[] };
  } catch {
    throw new BenchError(`${child.name} did not report:\n${child.output()}`);
  }
}

const now = () => performance.timeOrigin + performance.now();

/** A peer's add(): `send` queues one job with this payload. */
function adder(send: (payload: object) => Promise<unknown>): Peer['add'] {
  return async (n, data, gapMs) => {
    if (gapMs !== undefined) {
      for (let i = 0; i < n; i++) {
        await send({ ...data(i), sent: now() });
        await sleep(gapMs);
      }
      return;
    }
    let next = 0;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < n) await send(data(next++));
    }));
  };
}

async function graphileWorker(admin: pg.Client): Promise<Peer> {
  const { schema } = await freshSchema(admin, 'graphile');
  // graphile-worker makes its own schema.
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  const utils = await makeWorkerUtils({ connectionString: PG_URL, schema });
  await utils.migrate();
  return {
    add: adder((payload) => utils.addJob('noop', payload)),
    remaining: async () => Number((await admin.query(`select count(*) as n from ${schema}._private_jobs`)).rows[0].n),
    start: (cpu) => startConsumer('graphile-worker', cpu, 'bench/servers/graphile-worker.ts', { DATABASE_URL: PG_URL, SCHEMA: schema, CONCURRENCY: String(CONCURRENCY) }),
    close: async () => {
      await utils.release();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

async function pgBoss(admin: pg.Client): Promise<Peer> {
  const { schema } = await freshSchema(admin, 'pgboss');
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  const boss = new PgBoss({ connectionString: PG_URL, schema, supervise: false, schedule: false });
  boss.on('error', (error) => log(`  pg-boss (producer): ${String(error)}`));
  await boss.start();
  await boss.createQueue('noop', { notify: true });
  return {
    add: adder((payload) => boss.send('noop', payload)),
    remaining: async () => Number((await admin.query(`select count(*) as n from ${schema}.job where name = 'noop' and state in ('created', 'retry', 'active')`)).rows[0].n),
    start: (cpu, work = PGBOSS_BATCHED) => startConsumer('pg-boss', cpu, 'bench/servers/pg-boss.ts', { DATABASE_URL: PG_URL, SCHEMA: schema, PGBOSS_WORK: JSON.stringify(work) }),
    close: async () => {
      await boss.stop({ graceful: false });
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

async function peerDrain(peer: Peer, label: string, items = ITEMS, work?: object): Promise<Drain> {
  await peer.add(items, (i) => ({ n: i }));
  await waitForQuiet();
  log(`  draining ${items} jobs: ${label}…`);
  const consumer = await peer.start(SERVER_CPU, work);
  let result: Drain;
  try {
    result = await drain(label, items, [consumer], () => peer.remaining());
  } catch (error) {
    await consumer.stop();
    throw error;
  }
  const report = await stopConsumer(consumer);
  if (report.handled < items) throw new BenchError(`${label}: ${report.handled} of ${items} jobs were run`);
  return result;
}

async function peerLatency(peer: Peer, label: string): Promise<Latency> {
  const consumer = await peer.start(SERVER_CPU);
  await waitForQuiet();
  log(`  latency, add → handler: ${label}, ${LATENCY_RUNS} jobs one at a time…`);
  await peer.add(20, () => ({}), 5);
  await peer.add(LATENCY_RUNS, () => ({}), 5);
  const deadline = Date.now() + 30_000;
  while ((await peer.remaining()) > 0) {
    if (Date.now() > deadline) throw new BenchError(`${label}: the latency jobs did not finish`);
    await sleep(20);
  }
  const report = await stopConsumer(consumer);
  return latencyOf(report.latenciesMs.slice(20));
}

// ---------------------------------------------------------------- the bench

async function postgresReachable(): Promise<pg.Client | undefined> {
  const admin = new pg.Client({ connectionString: PG_URL });
  try {
    await admin.connect();
    return admin;
  } catch (error) {
    log(`WARNING: PostgreSQL at ${PG_URL} is out of reach (${(error as Error).message}); the engine bench runs on SQLite only.`);
    return undefined;
  }
}

export async function benchEngine(dataDir: string): Promise<{ results: EngineResults; text: string }> {
  log(`engine benchmark: ${ITEMS} items per drain, ${ROUNDS} rounds…`);
  const admin = await postgresReachable();
  const closers: (() => Promise<void>)[] = [];
  try {
    const sqlite = await gatehouseOnSqlite(dataDir);
    closers.push(() => sqlite.close());
    let pgTarget: GatehouseTarget | undefined;
    let graphile: Peer | undefined;
    let boss: Peer | undefined;
    if (admin) {
      pgTarget = await gatehouseOnPostgres(admin);
      graphile = await graphileWorker(admin);
      boss = await pgBoss(admin);
      closers.push(() => pgTarget!.close(), () => graphile!.close(), () => boss!.close());
    }
    const plan: [System, () => Promise<Drain>][] = [
      ...(pgTarget && graphile && boss ? [
        ['gatehousePg', () => gatehouseDrain(pgTarget, 1, LABELS.gatehousePg)],
        ['graphileWorker', () => peerDrain(graphile, LABELS.graphileWorker)],
        ['pgBoss', () => peerDrain(boss, LABELS.pgBoss, PGBOSS_ONE_PER_FETCH_ITEMS, PGBOSS_ONE_PER_FETCH)],
        ['pgBossBatched', () => peerDrain(boss, LABELS.pgBossBatched, ITEMS, PGBOSS_BATCHED)],
        ['gatehousePg2', () => gatehouseDrain(pgTarget, 2, LABELS.gatehousePg2)],
      ] as [System, () => Promise<Drain>][] : []),
      ['gatehouseSqlite', () => gatehouseDrain(sqlite, 1, LABELS.gatehouseSqlite)],
    ];
    const drains: Partial<Record<System, Drain[]>> = {};
    for (let round = 0; round < ROUNDS; round++) {
      log(`engine round ${round + 1} of ${ROUNDS}:`);
      // Each round in another order, so that none always goes first.
      const order = round % 2 === 0 ? plan : [...plan].reverse();
      for (const [system, measure] of order) (drains[system] ??= []).push(await measure());
    }
    const latency: EngineResults['latency'] = {};
    if (pgTarget && graphile && boss) {
      latency.gatehousePg = await gatehouseLatency(pgTarget, 'Gatehouse, PostgreSQL');
      latency.graphileWorker = await peerLatency(graphile, 'graphile-worker');
      latency.pgBoss = await peerLatency(boss, 'pg-boss (batches, LISTEN/NOTIFY on)');
    }
    latency.gatehouseSqlite = await gatehouseLatency(sqlite, 'Gatehouse, SQLite');

    const medians: Partial<Record<System, Drain>> = {};
    for (const [system, list] of Object.entries(drains) as [System, Drain[]][]) {
      const middle = median(list.map((d) => d.perSec));
      medians[system] = list.find((d) => d.perSec === middle) ?? list[0]!;
    }
    /** The median of the per-round ratios. */
    const ratio = (top: System, bottom: System) => {
      const a = drains[top];
      const b = drains[bottom];
      return a && b ? median(a.map((d, i) => d.perSec / b[i]!.perSec)) : undefined;
    };
    const ratios = { vsPgBoss: ratio('gatehousePg', 'pgBoss'), vsPgBossBatched: ratio('gatehousePg', 'pgBossBatched'), vsGraphileWorker: ratio('gatehousePg', 'graphileWorker'), twoNodesVsOne: ratio('gatehousePg2', 'gatehousePg') };
    const met = {
      vsPgBoss: ratios.vsPgBoss === undefined ? undefined : ratios.vsPgBoss >= ENGINE_TARGETS.runsVsPgBoss,
      vsGraphileWorker: ratios.vsGraphileWorker === undefined ? undefined : ratios.vsGraphileWorker >= ENGINE_TARGETS.runsVsGraphileWorker,
      latencyPg: latency.gatehousePg === undefined ? undefined : latency.gatehousePg.p50Ms <= ENGINE_TARGETS.latencyP50MsPostgres,
      latencySqlite: latency.gatehouseSqlite.p50Ms <= ENGINE_TARGETS.latencyP50MsSqlite,
    };
    const results: EngineResults = { items: ITEMS, rounds: ROUNDS, postgres: admin !== undefined, drains, medians, latency, ratios, met };
    return { results, text: formatEngine(results) };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
    await admin?.end();
  }
}

const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT MET');

export function formatEngine(r: EngineResults): string {
  const rows = (Object.keys(LABELS) as System[]).filter((s) => r.medians[s]).map((system) => {
    const m = r.medians[system]!;
    const each = r.drains[system]!.map((d) => fmt.int(d.perSec)).join(' / ');
    let vs = '';
    if (system === 'gatehousePg') {
      vs = `${fmt.ratio(r.ratios.vsPgBoss ?? NaN)} / ${fmt.ratio(r.ratios.vsPgBossBatched ?? NaN)} pg-boss, ${fmt.ratio(r.ratios.vsGraphileWorker ?? NaN)} graphile-worker`;
    }
    if (system === 'gatehousePg2') vs = `${fmt.ratio(r.ratios.twoNodesVsOne ?? NaN)} one node`;
    return [LABELS[system], fmt.int(m.perSec), each, m.consumerCores.toFixed(2), system.startsWith('gatehouseSqlite') ? '' : m.postgresCores.toFixed(2), vs];
  });
  const lat = (key: keyof EngineResults['latency'], label: string, target?: string) => {
    const l = r.latency[key];
    return l ? [[label, fmt.ms(l.p50Ms), fmt.ms(l.p99Ms), String(l.samples), target ?? '']] : [];
  };
  return [
    `Engine: ${r.items} items queued (pg-boss one per fetch: ${PGBOSS_ONE_PER_FETCH_ITEMS}), then drained by a consumer pinned to CPU ${SERVER_CPU} (a second Gatehouse node on CPU ${LOAD_CPU}); ${r.rounds} rounds, in alternating order; concurrency ${CONCURRENCY} each.`,
    '',
    table(['consumer', 'items/s (median)', 'each round', 'consumer CPU (cores)', 'PostgreSQL CPU (cores)', 'vs'], rows, [1, 3, 4]),
    '',
    ...(r.postgres ? [
      `Gatehouse runs / pg-boss jobs, one per fetch = ${fmt.ratio(r.ratios.vsPgBoss!)}; target ≥ ${ENGINE_TARGETS.runsVsPgBoss}×: ${verdict(r.met.vsPgBoss)}`,
      `Gatehouse runs / pg-boss jobs in batches     = ${fmt.ratio(r.ratios.vsPgBossBatched!)} (no target: ${CONCURRENCY} jobs fetched and completed per statement)`,
      `Gatehouse runs / graphile-worker jobs       = ${fmt.ratio(r.ratios.vsGraphileWorker!)}; target ≥ ${ENGINE_TARGETS.runsVsGraphileWorker}×: ${verdict(r.met.vsGraphileWorker)}`,
      `Two nodes / one node                         = ${fmt.ratio(r.ratios.twoNodesVsOne!)} (both CPUs are shared with PostgreSQL: see the CPU columns)`,
    ] : ['PostgreSQL was out of reach: no peers, no PostgreSQL figures.']),
    'Each ratio is the median of its per-round ratios. A run is a one-step transform process (claim, step, events, data, one transaction); a job is a no-op.',
    '',
    table(['latency, start → first step running (idle)', 'p50', 'p99', 'runs', 'target'], [
      ...lat('gatehousePg', 'Gatehouse, PostgreSQL (run.started → step.started)', `p50 ≤ ${ENGINE_TARGETS.latencyP50MsPostgres} ms: ${verdict(r.met.latencyPg)}`),
      ...lat('gatehouseSqlite', 'Gatehouse, SQLite (run.started → step.started)', `p50 ≤ ${ENGINE_TARGETS.latencyP50MsSqlite} ms: ${verdict(r.met.latencySqlite)}`),
      ...lat('graphileWorker', 'graphile-worker (addJob → task)'),
      ...lat('pgBoss', 'pg-boss in batches, LISTEN/NOTIFY on (send → handler)'),
    ], [1, 2, 3]),
  ].join('\n');
}

if (import.meta.main) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { stopAll } = await import('./lib.ts');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-engine-bench-'));
  let code = 0;
  try {
    const { results, text } = await benchEngine(dir);
    process.stdout.write(`\n${text}\n`);
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results)}\n`);
  } catch (error) {
    log(`\nENGINE BENCH FAILED: ${error instanceof BenchError ? error.message : (error as Error).stack ?? String(error)}`);
    code = 1;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(code);
}
