// The page shell shared by the sign-in, consent and portal pages.
import { html, type Html } from './html.ts';

export interface PageOptions {
  title: string;
  body: Html;
  /** The signed-in user's email, for the header. */
  user?: { email: string; isAdmin?: boolean } | null;
  csrfToken?: string;
  /** Narrow, centred card layout (sign-in, consent). */
  narrow?: boolean;
  /** The portal section the page belongs to (a nav link's href), marked as current in the header. */
  section?: string;
  /** A one-time notice (reply.notice on the previous request), shown at the top. */
  notice?: string;
}

const PORTAL_LINKS: Array<{ href: string; label: string; adminOnly?: boolean }> = [
  { href: '/processes', label: 'Processes' },
  { href: '/webhooks', label: 'Webhooks' },
  { href: '/apps', label: 'Applications' },
  { href: '/tokens', label: 'Tokens' },
  { href: '/account/authorized-apps', label: 'Authorized apps' },
  { href: '/docs', label: 'API' },
  { href: '/admin/users', label: 'Users', adminOnly: true },
  { href: '/admin/audit', label: 'Audit', adminOnly: true },
];

export function page(options: PageOptions): string {
  const { title, body, user, csrfToken } = options;
  return `<!doctype html>${html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Gatehouse</title>
<link rel="stylesheet" href="/assets/gatehouse.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Gatehouse</a>
  ${user ? html`<nav aria-label="Portal">
    ${PORTAL_LINKS.filter((l) => !l.adminOnly || user.isAdmin).map((l) =>
      html`<a href="${l.href}"${l.href === options.section ? html` aria-current="page"` : ''}>${l.label}</a>`)}
  </nav>
  <nav aria-label="Account">
    <a class="who" href="/account"${options.section === '/account' ? html` aria-current="page"` : ''}>${user.email}</a>
    <form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrfToken ?? ''}"><button class="link" type="submit">Sign out</button></form>
  </nav>` : ''}
</header>
<main id="main" class="${options.narrow ? 'narrow' : 'wide'}">
<div class="notice-slot" role="status" aria-live="polite">${options.notice ? html`<p class="notice">${options.notice}</p>` : ''}</div>
${body}
</main>
</body>
</html>`}`;
}
