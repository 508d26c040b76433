// The application form of the developer portal: what it asks, how a submitted
// form is read, and how the service's validation errors are shown per field.
// Checkboxes have one name each (grant:ID, scope:ID), because the form parser
// refuses repeated parameters.
import type { Client } from '../client/client.ts';
import type { FieldError, ValidationError } from '../errors.ts';
import { GRANT_TYPES } from '../client/client-service.ts';
import { SCOPES } from '../scopes.ts';
import { html, type Html } from '../web/html.ts';

type GrantType = (typeof GRANT_TYPES)[number];

export const GRANT_CHOICES: ReadonlyArray<{ id: GrantType; label: string; hint: string }> = [
  {
    id: 'authorization_code',
    label: 'Authorization code',
    hint: 'Users sign in to Gatehouse and approve your app. For web, mobile, desktop and command-line apps; needs a callback URL.',
  },
  {
    id: 'client_credentials',
    label: 'Client credentials',
    hint: 'Your app acts as itself, for no user: back-end services and scripts. Confidential apps only.',
  },
  {
    id: 'password',
    label: 'Password',
    hint: 'Your app sends a user’s email and password itself, and people are never asked to approve it. Only for trusted scripts that cannot use a browser; confidential apps only. Only an administrator can turn it on.',
  },
  {
    id: 'urn:ietf:params:oauth:grant-type:device_code',
    label: 'Device code',
    hint: 'For devices and tools without a browser: the user approves on another device by entering a short code.',
  },
  {
    id: 'refresh_token',
    label: 'Refresh token',
    hint: 'Lets your app renew a user’s access without asking them to sign in again.',
  },
];

// Saving the form sets exactly the grants it offers, so it must offer them all.
for (const id of GRANT_TYPES) {
  if (!GRANT_CHOICES.some((g) => g.id === id)) throw new Error(`the application form offers no choice for the grant ${id}`);
}

export const grantLabel = (id: string): string => GRANT_CHOICES.find((g) => g.id === id)?.label ?? id;

export type ClientType = 'confidential' | 'public';

/**
 * The first question of the new-application form: what the app will do. It
 * decides the client type and grants; `custom` leaves them to the fields
 * under "Choose the grants yourself". The default, `both`, makes what
 * `gatehouse clients create` makes when given a callback URL, and what the
 * SolveXia guide's "name and callback URL" needs: a confidential app that can
 * use client credentials (and also sign people in).
 */
export const PURPOSES = [
  {
    id: 'service', label: 'A script or back-end service', type: 'confidential', grants: ['client_credentials'],
    hint: 'It calls the API as itself, for no one in particular: a nightly job, an integration, a server. Gets a client secret (client credentials grant).',
  },
  {
    id: 'users', label: 'A web app that acts for people who sign in', type: 'confidential', grants: ['authorization_code', 'refresh_token'],
    hint: 'People sign in to Gatehouse and approve it; it runs on a server you control and keeps a client secret. Needs a callback URL.',
  },
  {
    id: 'native', label: 'A single-page, mobile, desktop or command-line app that acts for people', type: 'public', grants: ['authorization_code', 'refresh_token'],
    hint: 'It runs on people’s devices, so it cannot keep a secret and signs in with PKCE instead. Needs a callback URL.',
  },
  {
    id: 'both', label: 'Both: a service that also acts for people', type: 'confidential', grants: ['client_credentials', 'authorization_code', 'refresh_token'],
    hint: 'Calls the API as itself and signs people in. Gets a client secret; needs a callback URL.',
  },
  {
    id: 'custom', label: 'Let me choose the type and grants', type: null, grants: null,
    hint: 'Use the fields under “Type and grants” below.',
  },
] as const satisfies ReadonlyArray<{ id: string; label: string; hint: string; type: ClientType | null; grants: readonly string[] | null }>;

export type Purpose = (typeof PURPOSES)[number]['id'];
export const DEFAULT_PURPOSE: Purpose = 'both';

/** The form as the user filled it in, kept as typed so it can be shown again. */
export interface AppFormValues {
  /** What the app will do (new applications only); `custom` when the form did not say. */
  purpose: Purpose;
  name: string;
  /** The callback URLs textarea, as typed. */
  redirectUris: string;
  /** Empty when the form did not say (only a hand-made request can do that). */
  type: ClientType | '';
  grants: string[];
  scopes: string[];
}

export type FormField = 'name' | 'purpose' | 'redirect_uris' | 'client_type' | 'grant_types' | 'scopes';
export type AppFormErrors = Partial<Record<FormField, string[]>>;

export const NEW_APP_DEFAULTS: AppFormValues = {
  purpose: DEFAULT_PURPOSE,
  name: '',
  redirectUris: '',
  type: 'confidential',
  grants: [...PURPOSES.find((p) => p.id === DEFAULT_PURPOSE)!.grants!],
  scopes: ['process_read'],
};

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The form as submitted. A purpose other than `custom` decides the type and
 * grants; without one (a hand-made request, or `custom`) the type and grant
 * fields do.
 */
export function readAppForm(fields: Record<string, string>): AppFormValues {
  const type = str(fields.client_type);
  const purpose = PURPOSES.find((p) => p.id === fields.purpose) ?? PURPOSES.find((p) => p.id === 'custom')!;
  return {
    purpose: purpose.id,
    name: str(fields.name),
    redirectUris: str(fields.redirect_uris),
    type: purpose.type ?? (type === 'confidential' || type === 'public' ? type : ''),
    grants: purpose.grants ? [...purpose.grants] : GRANT_CHOICES.map((g) => g.id).filter((id) => fields[`grant:${id}`] !== undefined),
    scopes: Object.keys(SCOPES).filter((id) => fields[`scope:${id}`] !== undefined),
  };
}

/** The callback URLs of the textarea: one a line, trimmed, blank lines and repeats dropped. */
export function uriLines(text: string): string[] {
  return [...new Set(text.split(/\r\n|\r|\n/).map((line) => line.trim()).filter((line) => line.length > 0))];
}

export function valuesOf(client: Client): AppFormValues {
  return {
    purpose: 'custom',
    name: client.name,
    redirectUris: client.redirectUris.join('\n'),
    type: client.isPublic ? 'public' : 'confidential',
    grants: client.grantTypes,
    scopes: client.scopes,
  };
}

/** Field-level messages, in words for people, for the service's validation errors. */
export function formErrors(error: ValidationError, uris: string[], purpose: Purpose = 'custom'): AppFormErrors {
  const errors: AppFormErrors = {};
  const add = (field: FormField, message: string) => (errors[field] ??= []).push(message);
  for (const e of error.errors) {
    const [field, message] = describe(e, uris, purpose);
    add(field, message);
  }
  return errors;
}

function describe({ field, message }: FieldError, uris: string[], purpose: Purpose): [FormField, string] {
  const line = /^redirect_uris\[(\d+)\]$/.exec(field);
  if (line) return ['redirect_uris', `${uris[Number(line[1])] ?? 'A callback URL'} ${message}.`];
  switch (field) {
    case 'name':
      return ['name', 'Enter a name of 1 to 200 characters.'];
    case 'redirect_uris':
      if (/authorization_code/.test(message) && purpose !== 'custom') {
        return ['redirect_uris', 'Add a callback URL: people who sign in are sent back to one. If no one signs in through this app, choose “A script or back-end service” instead.'];
      }
      return ['redirect_uris', /authorization_code/.test(message)
        ? 'Add a callback URL: the authorization code grant sends users back to one.'
        : `Callback URLs: ${message}.`];
    case 'grant_types':
      if (/public/.test(message)) return ['grant_types', 'A public application cannot use the client credentials or password grants, because it cannot keep a secret.'];
      if (/at least one/.test(message)) return ['grant_types', 'Choose at least one grant.'];
      if (/administrator/.test(message)) return ['grant_types', 'Only an administrator can allow the password grant.'];
      return ['grant_types', `${message}.`];
    case 'scopes':
      return ['scopes', /at least one/.test(message) ? 'Choose at least one scope.' : `${message}.`];
    default:
      return ['name', `${field}: ${message}.`];
  }
}

const FIRST_CONTROL: Record<FormField, string> = {
  name: 'name',
  purpose: 'purpose-service',
  redirect_uris: 'redirect_uris',
  client_type: 'type-confidential',
  grant_types: 'grant-0',
  scopes: 'scope-0',
};

/** A list of every problem, linking to its field; focused on load so it is read out first. */
export function errorSummary(errors: AppFormErrors): Html {
  const entries = (Object.entries(errors) as Array<[FormField, string[]]>).filter(([, messages]) => messages.length > 0);
  if (entries.length === 0) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
<h2 id="error-summary-title">Please fix ${entries.length === 1 ? 'this problem' : 'these problems'}</h2>
<ul>${entries.flatMap(([field, messages]) => messages.map((m) => html`<li><a href="#${FIRST_CONTROL[field]}">${m}</a></li>`))}</ul>
</div>`;
}

function fieldError(id: string, messages: string[] | undefined): Html {
  if (!messages?.length) return html``;
  return html`<p class="field-error" id="${id}-error">${messages.map((m, i) => html`${i > 0 ? html`<br>` : ''}<span class="visually-hidden">Error: </span>${m}`)}</p>`;
}

const describedBy = (id: string, messages: string[] | undefined, extra = `${id}-hint`): Html =>
  html` aria-describedby="${extra}${messages?.length ? ` ${id}-error` : ''}"${messages?.length ? html` aria-invalid="true"` : ''}`;

const checked = (on: boolean): Html => (on ? html` checked` : html``);

function typeFieldset(values: AppFormValues, errors: AppFormErrors): Html {
  const choices: Array<{ value: ClientType; label: string; hint: string }> = [
    { value: 'confidential', label: 'Confidential', hint: 'Runs on a server you control and can keep a secret. Gets a client secret.' },
    { value: 'public', label: 'Public', hint: 'Runs on people’s devices (single-page, mobile, desktop and command-line apps), so it cannot keep a secret. Signs in with PKCE instead.' },
  ];
  return html`<fieldset class="field${errors.client_type ? ' has-error' : ''}"${errors.client_type ? html` aria-describedby="client_type-error"` : ''}>
<legend>Client type</legend>
<p class="hint">This cannot change after the application is created.</p>
${fieldError('client_type', errors.client_type)}
${choices.map((c) => html`<div class="check">
<input type="radio" id="type-${c.value}" name="client_type" value="${c.value}" aria-describedby="type-${c.value}-hint"${checked(values.type === c.value)}>
<div><label for="type-${c.value}">${c.label}</label>
<p class="hint" id="type-${c.value}-hint">${c.hint}</p>
</div>
</div>`)}
</fieldset>`;
}

function purposeFieldset(values: AppFormValues): Html {
  return html`<fieldset class="field">
<legend>What will this application do?</legend>
${PURPOSES.map((p) => html`<div class="check">
<input type="radio" id="purpose-${p.id}" name="purpose" value="${p.id}" aria-describedby="purpose-${p.id}-hint"${checked(values.purpose === p.id)}>
<div><label for="purpose-${p.id}">${p.label}</label>
<p class="hint" id="purpose-${p.id}-hint">${p.hint}</p>
</div>
</div>`)}
</fieldset>`;
}

function grantsFieldset(values: AppFormValues, errors: AppFormErrors, canAllowPassword: boolean): Html {
  return html`<fieldset class="field${errors.grant_types ? ' has-error' : ''}" aria-describedby="grants-hint${errors.grant_types ? ' grant_types-error' : ''}">
<legend>Grants</legend>
<p class="hint" id="grants-hint">The ways your app may get tokens. Choose only what it uses.</p>
${fieldError('grant_types', errors.grant_types)}
${GRANT_CHOICES.map((g, i) => {
    const locked = g.id === 'password' && !canAllowPassword && !values.grants.includes('password');
    return html`<div class="check">
<input type="checkbox" id="grant-${i}" name="grant:${g.id}" value="on" aria-describedby="grant-${i}-hint"${checked(values.grants.includes(g.id))}${locked ? html` disabled` : ''}>
<div><label for="grant-${i}">${g.label}</label>
<p class="hint" id="grant-${i}-hint">${g.hint}</p>
</div>
</div>`;
  })}
</fieldset>`;
}

export interface AppFieldsOptions {
  /** A new application: ask what it will do, with the type and grants under a disclosure. */
  isNew: boolean;
  /** Whether the signed-in user may turn the password grant on (admins). */
  canAllowPassword: boolean;
}

/** The fields of the application form. */
export function appFields(values: AppFormValues, errors: AppFormErrors, options: AppFieldsOptions): Html {
  const typeAndGrants = html`${options.isNew ? typeFieldset(values, errors) : ''}${grantsFieldset(values, errors, options.canAllowPassword)}`;
  const customErrors = Boolean(errors.client_type || errors.grant_types);
  return html`<div class="field${errors.name ? ' has-error' : ''}">
<label for="name">Application name</label>
<p class="hint" id="name-hint">People see this name when they approve access, and in their list of authorized apps.</p>
${fieldError('name', errors.name)}
<input type="text" id="name" name="name" value="${values.name}" maxlength="200" autocomplete="off" required${describedBy('name', errors.name)}>
</div>
${options.isNew ? purposeFieldset(values) : ''}
<div class="field${errors.redirect_uris ? ' has-error' : ''}">
<label for="redirect_uris">Callback URLs</label>
<p class="hint" id="redirect_uris-hint">One per line. After people approve access, Gatehouse sends them back to one of these, exactly as written. Use <code>https://</code>; <code>http://127.0.0.1</code> for local development; or a private-use scheme such as <code>com.example.app:/callback</code> for native apps.</p>
${fieldError('redirect_uris', errors.redirect_uris)}
<textarea id="redirect_uris" name="redirect_uris" rows="3" spellcheck="false" autocapitalize="off" autocomplete="off"${describedBy('redirect_uris', errors.redirect_uris)}>${values.redirectUris}</textarea>
</div>
${options.isNew ? html`<details class="field"${customErrors || values.purpose === 'custom' ? html` open` : ''}>
<summary>Type and grants <span class="muted">(only with “Let me choose the type and grants”)</span></summary>
${typeAndGrants}
</details>` : typeAndGrants}
<fieldset class="field${errors.scopes ? ' has-error' : ''}" aria-describedby="scopes-hint${errors.scopes ? ' scopes-error' : ''}">
<legend>Allowed scopes</legend>
<p class="hint" id="scopes-hint">The most your app may ask for. People see and approve the scopes it asks for.</p>
${fieldError('scopes', errors.scopes)}
${Object.entries(SCOPES).map(([id, description], i) => html`<div class="check">
<input type="checkbox" id="scope-${i}" name="scope:${id}" value="on"${checked(values.scopes.includes(id))}>
<label for="scope-${i}"><code>${id}</code> <span class="muted">— ${description}</span></label>
</div>`)}
</fieldset>`;
}
