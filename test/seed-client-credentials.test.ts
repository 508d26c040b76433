// Acceptance: the first seed guide's second script, run verbatim but for its
// four placeholders, by Debian's python3 with requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startServer } from './support/server.ts';
import { createClient, createProcess, createUser } from './support/fixtures.ts';
import { PYTHON, pythonBlocks, readGuide, SOLVEXIA_GUIDE } from './support/seeds.ts';



test('the SolveXia client-credentials script prints the process', async (t) => {
  const server = await startServer({ viaNpm: true });
  t.after(() => server.stop());
  const { email } = await createUser(server);
  const client = await createClient(server, email, '--redirect-uri', 'https://app.example.com/callback');
  const process = await createProcess(server, email, 'Quarterly close');

  const script = pythonBlocks(readGuide(SOLVEXIA_GUIDE))[1];
  assert.ok(script, 'the guide has a second Python block');
  const filled = script
    .replace('"your_client_id"', JSON.stringify(client.client_id))
    .replace('"your_client_secret"', JSON.stringify(client.client_secret))
    .replace('"https://your_environment_name.solvexia.com"', JSON.stringify(server.url))
    .replace("'your_process_id'", `'${process.id}'`);
  assert.equal(filled.split('\n').length, script.split('\n').length, 'only placeholders change');
  const path = join(server.dataDir, 'seed.py');
  writeFileSync(path, filled);

  const result = await run(PYTHON, [path]);
  assert.equal(result.code, 0, result.stderr);
  // Python prints the dict with single quotes.
  assert.match(result.stdout, new RegExp(`'id': '${process.id}'`));
  assert.match(result.stdout, /'name': 'Quarterly close'/);
  assert.match(result.stdout, /'dateCreated': '/);
  assert.match(result.stdout, /'lastModifiedBy': '/);
});
