import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configurationReference, loadConfig, VARIABLES } from '../src/config.ts';
import { ROOT } from './support/server.ts';

test('docs/configuration.md is the generated reference (npm run docs:config)', () => {
  assert.equal(readFileSync(join(ROOT, 'docs/configuration.md'), 'utf8'), configurationReference());
});

test('every variable the reference lists is read by loadConfig', () => {
  const source = readFileSync(join(ROOT, 'src/config.ts'), 'utf8');
  for (const variable of VARIABLES) assert.match(source, new RegExp(`env\\.${variable.name}\\b`), variable.name);
});

test('defaults match the reference', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.databaseUrl, 'sqlite:./data/gatehouse.db');
  assert.equal(config.issuer, 'http://localhost:3000');
  assert.equal(config.apiAudience, 'http://localhost:3000/api');
  assert.equal(loadConfig({ PORT: '4000' }).issuer, 'http://localhost:4000');
});
