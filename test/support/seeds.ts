// The seed guides in ../shared/seeds/, read at run time (the repo keeps no
// copy), and their Python blocks with only the placeholders filled in.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server.ts';

export const SOLVEXIA_GUIDE = join(ROOT, '../shared/seeds/000_23407e49195202dd.txt');
export const PROCESSMAKER_GUIDE = join(ROOT, '../shared/seeds/001_e8f9f45f85e33b96.txt');
/** Debian's python3, which has python3-requests and python3-oauthlib. */
export const PYTHON = '/usr/bin/python3';
export const PROCESSMAKER_INSTANCE = 'https://<your-instance>.processmaker.net';

export const readGuide = (path: string): string => readFileSync(path, 'utf8');

/** The Python blocks of a guide's text, in order. */
export function pythonBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/** Replaces each placeholder (which must be there); nothing else changes, and none is left. */
export function fillPlaceholders(script: string, values: Record<string, string>): string {
  let filled = script;
  for (const [placeholder, value] of Object.entries(values)) {
    assert.ok(filled.includes(placeholder), `the script has ${placeholder}`);
    filled = filled.replaceAll(placeholder, value);
  }
  assert.doesNotMatch(filled, /<your-[a-z-]+>|your_(client_id|client_secret|process_id)|your_environment_name/, 'every placeholder is filled');
  assert.equal(filled.split('\n').length, script.split('\n').length, 'only placeholders change');
  return filled;
}
