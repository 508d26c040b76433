// A PostgreSQL cluster of a test's own (initdb + pg_ctl from the machine's
// PostgreSQL), so that a test can stop, restart and freeze the database under
// a running Gatehouse without touching the shared server other tests use.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './server.ts';

const PG_ROOT = '/usr/lib/postgresql';

/** The newest installed PostgreSQL's bin folder, or undefined if none is. */
export function postgresBin(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT).filter((v) => existsSync(join(PG_ROOT, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(PG_ROOT, versions[0], 'bin') : undefined;
}

export interface PrivateCluster {
  url: string;
  stop(): void;
  start(): void;
  /** Freezes every process of the cluster: connections are accepted by the kernel, and nothing answers. */
  freeze(): void;
  thaw(): void;
  destroy(): void;
}

export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('no PostgreSQL installed');
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  // PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user.
  let ids: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    ids = { uid: Number(execFileSync('id', ['-u', 'postgres']).toString()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString()) };
    chownSync(dir, ids.uid, ids.gid);
  }
  const pg = (tool: string, args: string[]) => {
    const result = spawnSync(join(bin, tool), args, { ...ids, cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
  };
  pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () => pg('pg_ctl', ['-D', data, '-w', '-l', join(dir, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  start();
  // The postmaster and its children (backends, background workers).
  const processes = (): number[] => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return Number(readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    }).map(Number);
    return [postmaster, ...children];
  };
  const thaw = () => { for (const pid of processes()) process.kill(pid, 'SIGCONT'); };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => pg('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']),
    start,
    freeze: () => { for (const pid of processes()) process.kill(pid, 'SIGSTOP'); },
    thaw,
    destroy() {
      try {
        thaw();
        pg('pg_ctl', ['-D', data, '-w', '-m', 'immediate', 'stop']);
      } catch {
        // Already stopped.
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
