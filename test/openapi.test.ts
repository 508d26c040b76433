// The OpenAPI 3.1 document at /api/v1/openapi.json (issue #10): valid by the
// OpenAPI schema, complete (every API route, each with a summary, a tag, its
// scope, its parameters and body, and its answers, errors included), served
// without a token, and rendered as the portal's API reference.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createTestUser, signedInBrowser, startApp, type TestApp } from './support/app.ts';

let t: TestApp;
let doc: { openapi: string; paths: Record<string, Record<string, any>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };

before(async () => {
  t = await startApp();
  const response = await t.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  assert.equal(response.statusCode, 200);
  doc = response.json();
});
after(() => t?.close());

test('the document is valid OpenAPI 3.1', async () => {
  assert.equal(doc.openapi, '3.1.0');
  const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

test('every API route is in it, with a tag, a summary, its security, and a success and an error answer; nothing else is', async () => {
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  assert.ok(operations.length >= 30, `operations: ${operations.length}`);
  for (const { path, method, op } of operations) {
    const name = `${method.toUpperCase()} ${path}`;
    assert.ok(path.startsWith('/api/v1/'), name);
    assert.ok(op.tags?.length === 1, `${name} has a tag`);
    assert.ok(typeof op.summary === 'string' && op.summary.length > 10, `${name} has a summary`);
    assert.ok(Array.isArray(op.security) && op.security.length > 0, `${name} says how to authenticate`);
    const statuses = Object.keys(op.responses);
    assert.ok(statuses.some((s) => s.startsWith('2')), `${name} has a success answer`);
    assert.ok(statuses.includes('4XX'), `${name} documents its errors: ${statuses.join(', ')}`);
    if (['post', 'patch'].includes(method) && !path.endsWith('/start') && !path.endsWith('/cancel') && !path.endsWith('/restartfromhere') && !path.endsWith('/test') && !path.endsWith('/rotate-secret') && !path.endsWith('/redeliver')) {
      assert.ok(op.requestBody, `${name} describes its body`);
    }
  }
  for (const path of ['/api/v1/processes/{id}', '/api/v1/processes/{id}/steps', '/api/v1/steps/{id}', '/api/v1/processes/{id}/processruns', '/api/v1/processruns/{id}/runstatus', '/api/v1/processruns/{id}/steps/{stepId}/runstatus', '/api/v1/processruns/{id}/events', '/api/v1/webhooks', '/api/v1/users/me/tokens']) {
    assert.ok(doc.paths[path], `${path} is documented`);
  }
  assert.ok(doc.paths['/api/v1/processes/{id}']!.post, 'POST to a process, as SolveXia updates');
  assert.equal(doc.paths['/api/v1/processruns/{id}/cancel']!.post.security[0].oauth2[0], 'process_execute');
  assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/oauth') || p.startsWith('/apps')), 'no pages or authorization server');
  for (const name of ['Process', 'Step', 'ProcessRun', 'RunStatus', 'StepRun', 'StepRunStatus', 'RunEvent', 'WebhookEndpoint', 'WebhookMessage', 'Error']) assert.ok(doc.components.schemas[name], name);
  const unauthenticated = await t.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  assert.equal(unauthenticated.statusCode, 200, 'served without a token');
});

test('the portal renders it as the API reference, and /docs points there instead of a hand-kept list', async () => {
  const browser = await signedInBrowser(t, await createTestUser(t));
  const page = await browser.get('/docs/api');
  assert.equal(page.statusCode, 200);
  for (const path of Object.keys(doc.paths)) assert.ok(page.body.includes(`<code>${path}</code>`), `${path} is on the page`);
  assert.match(page.body, /id="schema-ProcessRun"/);
  assert.doesNotMatch(page.body, /<script/, 'no script needed');
  const docs = await browser.get('/docs');
  assert.match(docs.body, /href="\/docs\/api">API reference<\/a>/);
});
