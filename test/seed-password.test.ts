// Acceptance: the second seed guide's Password script, and its "Step 4" API
// request, run verbatim but for their placeholders by Debian's python3 with
// oauthlib and requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, startServer } from './support/server.ts';
import { fillPlaceholders, PROCESSMAKER_GUIDE, readGuide, PROCESSMAKER_INSTANCE, PYTHON, pythonBlocks } from './support/seeds.ts';
import { createProcess, createUser } from './support/fixtures.ts';
import { apiRequest } from './support/http.ts';
import { passwordClient } from './support/user-tokens.ts';

const INSTANCE = PROCESSMAKER_INSTANCE;


/** The first Python block after the heading that starts with `heading`. */
function blockAfter(markdown: string, heading: string): string {
  const at = markdown.indexOf(heading);
  assert.ok(at >= 0, `the guide has "${heading}"`);
  const [block] = pythonBlocks(markdown.slice(at));
  assert.ok(block, `a Python block follows "${heading}"`);
  return block;
}


test('the ProcessMaker Password script gets a token that works on the API, and Step 4 prints the process', async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const user = await createUser(server);
  const client = await passwordClient(server, user.email);
  const process = await createProcess(server, user.email, 'Vendor onboarding');
  const guide = readGuide(PROCESSMAKER_GUIDE);
  const env = { OAUTHLIB_INSECURE_TRANSPORT: '1' };

  const script = pythonBlocks(guide)[1];
  assert.ok(script, 'the guide has a second Python block');
  assert.ok(script.includes('LegacyApplicationClient'), 'the second Python block is the Password script');
  const passwordPath = join(server.dataDir, 'password.py');
  writeFileSync(passwordPath, fillPlaceholders(script, {
    [INSTANCE]: server.url,
    '<your-client-id>': client.client_id,
    '<your-client-secret>': client.client_secret!,
    '<your-username>': user.email,
    '<your-password>': user.password,
  }));
  const result = await run(PYTHON, [passwordPath], { env });
  assert.equal(result.code, 0, `${result.stderr}\n${server.log()}`);
  const token = /^Access token: (\S+)$/m.exec(result.stdout)?.[1];
  assert.ok(token, `the script printed a token: ${result.stdout}`);
  const read = await apiRequest(server, `/api/v1/processes/${process.id}`, token);
  assert.equal(read.status, 200, read.text);
  assert.equal(read.body.name, 'Vendor onboarding');

  const step4Path = join(server.dataDir, 'step4.py');
  writeFileSync(step4Path, fillPlaceholders(blockAfter(guide, '## **Step 4'), {
    [INSTANCE]: server.url,
    '<your-access-token>': token,
    '<your-endpoint>': `v1/processes/${process.id}`,
  }));
  const step4 = await run(PYTHON, [step4Path], { env });
  assert.equal(step4.code, 0, step4.stderr);
  // Python prints the dict with single quotes.
  assert.match(step4.stdout, new RegExp(`'id': '${process.id}'`));
  assert.match(step4.stdout, /'name': 'Vendor onboarding'/);
  assert.match(step4.stdout, new RegExp(`'lastModifiedBy': '${user.email}'`));
});
