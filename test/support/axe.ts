// axe-core (the npm package) in a real Chromium page: the accessibility rules
// every page is held to. The page's CSP allows only our own scripts, so the
// browser context that runs axe is made with bypassCSP; the pages are the same.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/** The serious and critical violations on the page as it is now (WCAG 2.2 A and AA, and best practices). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  // A click that submits a form returns once the next document commits, before
  // it is parsed (its head can still be null): audit the page once it has loaded.
  await page.waitForLoadState('load');
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: AXE_SOURCE });
  const violations = await page.evaluate(async () => {
    // In the page: the DOM's globals (this project's TypeScript has no DOM library).
    const { axe, document } = globalThis as unknown as { axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> }; document: unknown };
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** A readable account of violations, for an assertion message. */
export const describeViolations = (url: string, violations: AxeViolation[]): string =>
  violations.map((v) => `${url}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}\n  ${v.nodes[0]?.failureSummary ?? ''}`).join('\n');

/**
 * Asserts a control lies within the viewport's width as laid out, without
 * scrolling anything sideways: a table that must be scrolled hides its actions.
 */
export async function assertOnScreen(page: Page, locator: Locator, what: string): Promise<void> {
  assert.ok(await locator.isVisible(), `${what} is visible`);
  const box = await locator.boundingBox();
  const width = page.viewportSize()!.width;
  assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${what} is within the ${width} px viewport: ${JSON.stringify(box)}`);
}

/** WCAG's contrast ratio of two colours, given as rgb(…) or #rrggbb. */
export function contrastRatio(a: string, b: string): number {
  const luminance = (color: string) => {
    const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
    const parts = hex ? hex.slice(1).map((h) => parseInt(h, 16)) : (/rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color) ?? []).slice(1).map(Number);
    assert.equal(parts.length, 3, `a colour: ${color}`);
    const [r, g, bl] = parts.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}
