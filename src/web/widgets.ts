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

/**
 * A new password and its confirmation, as every form that sets one asks for
 * them (set-up, password change, reset). `ids` prefixes the fields' ids.
 */
export function newPasswordFields(ids: string, errors: { password?: string; confirm?: string }, labels = { password: 'New password', confirm: 'Confirm the new password' }, minLength = 8): Html {
  return html`<label for="${ids}-password">${labels.password}</label>
<p class="hint" id="${ids}-password-hint">At least ${minLength} characters, and not a common password.</p>
<input type="password" id="${ids}-password" name="password" autocomplete="new-password" minlength="${minLength}" required${invalidAttrs(`${ids}-password-error`, errors.password, `${ids}-password-hint`)}>
${fieldError(`${ids}-password-error`, errors.password)}
<label for="${ids}-confirm">${labels.confirm}</label>
<input type="password" id="${ids}-confirm" name="confirm" autocomplete="new-password" required${invalidAttrs(`${ids}-confirm-error`, errors.confirm)}>
${fieldError(`${ids}-confirm-error`, errors.confirm)}`;
}

export interface Confirmation {
  heading: string;
  /** What will happen, in a sentence or two. */
  explanation: Html;
  /** Where the form posts, with these hidden fields besides the CSRF token. */
  action: string;
  fields?: Record<string, string>;
  csrfToken: string;
  button: string;
  cancelHref: string;
}

/** The card asking "are you sure?" before something that cannot be undone. */
export function confirmCard(c: Confirmation): Html {
  return html`<div class="card danger-zone">
<h1>${c.heading}</h1>
${c.explanation}
<form method="post" action="${c.action}" class="actions">
<input type="hidden" name="csrf_token" value="${c.csrfToken}">
${Object.entries(c.fields ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}
<button type="submit" class="danger">${c.button}</button>
<a class="button secondary" href="${c.cancelHref}">Cancel</a>
</form>
</div>`;
}
