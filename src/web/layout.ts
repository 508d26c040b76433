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
}

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
    <a href="/apps">Applications</a>
    <a href="/tokens">Tokens</a>
    <a href="/account/authorized-apps">Authorized apps</a>
    <a href="/docs">API</a>
    ${user.isAdmin ? html`<a href="/admin/users">Users</a>` : ''}
  </nav>
  <nav aria-label="Account">
    <span class="who">${user.email}</span>
    <form method="post" action="/logout"><input type="hidden" name="csrf_token" value="${csrfToken ?? ''}"><button class="link" type="submit">Sign out</button></form>
  </nav>` : ''}
</header>
<main id="main" class="${options.narrow ? 'narrow' : 'wide'}">
${body}
</main>
</body>
</html>`}`;
}
