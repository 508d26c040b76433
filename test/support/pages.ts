// Checks shared by the portal page tests: security headers, no inline script
// or style, and reading text back out of the HTML.
import assert from 'node:assert/strict';
import type { PageResponse } from './browser-http.ts';

/** The headers every page carries, and markup the CSP would refuse (inline script, style attributes, handlers). */
export function assertSafePage(response: PageResponse): void {
  const context = `${response.status}\n${response.text}`;
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/, context);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/, csp);
  assert.match(csp, /script-src 'self'(;|$)/, csp);
  assert.match(csp, /style-src 'self'(;|$)/, csp);
  assert.match(csp, /frame-ancestors 'none'/, csp);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(response.headers.get('cache-control'), 'no-store');
  for (const script of response.text.match(/<script\b[^>]*>[\s\S]*?<\/script>/gi) ?? []) {
    assert.match(script, /^<script\b[^>]*\ssrc="\/assets\/[\w.-]+\.js"[^>]*><\/script>$/, `only external scripts: ${script}`);
  }
  assert.doesNotMatch(response.text, /<style\b/i, 'no <style> element');
  assert.doesNotMatch(response.text, /<[^>]+\sstyle\s*=/i, 'no style attribute');
  assert.doesNotMatch(response.text, /<[^>]+\son[a-z]+\s*=/i, 'no inline event handler');
}

/** HTML text back to characters (the entities the html tag writes, plus numeric ones). */
export function unescapeHtml(value: string): string {
  return value
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** The raw inner HTML of the element with this id; asserts there is exactly one. */
export function innerHtmlById(html: string, id: string): string {
  const matches = [...html.matchAll(new RegExp(`<([a-z0-9]+)\\b[^>]*\\sid="${id}"[^>]*>([\\s\\S]*?)</\\1>`, 'g'))];
  assert.equal(matches.length, 1, `one element with id ${id}:\n${html}`);
  return matches[0]![2]!;
}

/** The value attribute of the input with this id. */
export function inputValue(html: string, id: string): string | undefined {
  const input = new RegExp(`<input\\b[^>]*\\sid="${id}"[^>]*>`).exec(html)?.[0];
  const value = input && /\svalue="([^"]*)"/.exec(input)?.[1];
  return value === undefined || value === null ? undefined : unescapeHtml(value);
}

/** The rows of the first table body, each as its cells' text. */
export function tableRows(html: string): string[][] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd]\b[^>]*>([\s\S]*?)<\/t[hd]>/g)].map((cell) => unescapeHtml(cell[1]!.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim()));
}

/** The column headings of the first table. */
export function tableHeadings(html: string): string[] {
  const head = /<thead>([\s\S]*?)<\/thead>/.exec(html)?.[1] ?? '';
  return [...head.matchAll(/<th\b[^>]*>([\s\S]*?)<\/th>/g)].map((cell) => unescapeHtml(cell[1]!.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ').trim());
}
