// Templates in http steps: `{{ expression }}` inside a URL, a header or any
// string of the body is replaced by the value of that JSONata expression over
// the run's data (evaluated in the sandbox, bounded like a transform). In a
// URL the value is percent-encoded; a body string that is nothing but one
// template takes the value itself (a number stays a number, an object an
// object).
import { expressionProblem, type JsonataSandbox } from './jsonata-sandbox.ts';

const TEMPLATE = /\{\{([\s\S]*?)\}\}/g;
const WHOLE = /^\{\{([\s\S]*?)\}\}$/;

/** Syntax problems in the templates of `text`. */
export function templateProblems(text: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(TEMPLATE)) {
    const problem = expressionProblem(match[1]!);
    if (problem) problems.push(`the template {{${match[1]!.slice(0, 60)}}} is not valid JSONata: ${problem}`);
  }
  return problems;
}

export class TemplateRenderer {
  readonly #sandbox: JsonataSandbox;
  readonly #timeoutMs: number;

  constructor(sandbox: JsonataSandbox, timeoutMs = 1000) {
    this.#sandbox = sandbox;
    this.#timeoutMs = timeoutMs;
  }

  /** `text` with each template replaced; `encode` is applied to each value (e.g. encodeURIComponent in URLs). */
  async string(text: string, data: unknown, encode: (value: string) => string = (v) => v): Promise<string> {
    const parts: string[] = [];
    let last = 0;
    for (const match of text.matchAll(TEMPLATE)) {
      parts.push(text.slice(last, match.index));
      parts.push(encode(asText(await this.#sandbox.evaluate(match[1]!, data, this.#timeoutMs))));
      last = match.index + match[0].length;
    }
    parts.push(text.slice(last));
    return parts.join('');
  }

  /** A JSON value with every string's templates rendered. */
  async json(value: unknown, data: unknown): Promise<unknown> {
    if (typeof value === 'string') {
      const whole = WHOLE.exec(value);
      if (whole && !whole[1]!.includes('}}')) return this.#sandbox.evaluate(whole[1]!, data, this.#timeoutMs);
      return this.string(value, data);
    }
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.json(v, data)));
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = await this.json(v, data);
      return out;
    }
    return value;
  }
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}
