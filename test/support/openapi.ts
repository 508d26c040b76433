// Every API response a test receives is checked against the server's own
// OpenAPI document (/api/v1/openapi.json): the operation's schema for that
// status (or its 4XX range) must accept the body. The document itself is
// checked with @seriousme/openapi-schema-validator in openapi.test.ts.
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class ResponseValidator {
  readonly #doc: OpenApiDocument;
  readonly #ajv: Ajv2020;
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #templates: Array<{ template: string; pattern: RegExp }>;
  /** How many responses were checked (a test can assert it checked some). */
  checked = 0;

  constructor(doc: OpenApiDocument) {
    this.#doc = doc;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.#ajv);
    this.#ajv.addSchema(doc as object, 'openapi');
    this.#templates = Object.keys(doc.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** Asserts `body` is what the document promises for this request and status. */
  check(method: string, url: string, status: number, body: unknown): void {
    const path = url.split('?', 1)[0]!;
    if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') return;
    const matches = this.#templates.filter((t) => t.pattern.test(path) && this.#doc.paths[t.template]?.[method.toLowerCase()]);
    // A literal segment beats a parameter: /processruns/x/runstatus is not /processruns/{id}/{…}.
    const found = matches.sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0))[0];
    if (!found) {
      if (status === 404 || status === 405) return;
      assert.fail(`the OpenAPI document has no ${method} ${path}`);
    }
    const responses = this.#doc.paths[found.template]![method.toLowerCase()]!.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => responses[k]);
    assert.ok(key, `the document lists no ${status} for ${method} ${found.template} (it lists ${Object.keys(responses).join(', ')})`);
    const content = responses[key]!.content;
    if (!content) {
      assert.ok(body === undefined || body === null || body === '', `${method} ${path} ${status}: the document says no body, got ${JSON.stringify(body)}`);
      this.checked++;
      return;
    }
    const ref = `openapi#/paths/${escape(found.template)}/${method.toLowerCase()}/responses/${key}/content/${escape('application/json')}/schema`;
    let validate = this.#compiled.get(ref);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: ref });
      this.#compiled.set(ref, validate);
    }
    assert.ok(validate(body), `${method} ${path} ${status} does not match the OpenAPI document: ${this.#ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
    this.checked++;
  }
}
