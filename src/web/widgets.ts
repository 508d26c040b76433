// Small pieces shared by the portal pages: dates, copy buttons, form errors.
import { html, type Html } from './html.ts';

/** A date as YYYY-MM-DD, with the full instant for machines and a tooltip. */
export function dateOf(iso: string | null, missing = '—'): Html {
  if (iso === null) return html`<span class="muted">${missing}</span>`;
  return html`<time datetime="${iso}" title="${iso}">${iso.slice(0, 10)}</time>`;
}

/**
 * A copy button for the element with id `targetId`, and its live status line.
 * Hidden until /assets/copy.js shows it; without script the text is selectable.
 */
export function copyButton(targetId: string, label: string): Html {
  return html`<button type="button" class="secondary copy" data-copy="${targetId}" aria-label="${label}" hidden>Copy</button>
<span class="copy-status" role="status" aria-live="polite" data-copy-status="${targetId}"></span>`;
}

/** Include once on a page that has copy buttons (CSP allows only script files from this origin). */
export const COPY_SCRIPT_TAG = html`<script src="/assets/copy.js" defer></script>`;

/** A field's error, referenced by the field's aria-describedby. */
export function fieldError(id: string, message: string | undefined): Html | '' {
  return message ? html`<p class="field-error" id="${id}">${message}</p>` : '';
}

/** The aria attributes of a field that may have an error. */
export function invalidAttrs(errorId: string, message: string | undefined, hintId?: string): Html {
  const describedBy = [hintId, message ? errorId : undefined].filter(Boolean).join(' ');
  return html`${describedBy ? html` aria-describedby="${describedBy}"` : ''}${message ? html` aria-invalid="true"` : ''}`;
}
