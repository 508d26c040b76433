// Which registered redirect URI an authorization request names (RFC 9700
// §4.1.3): exact string comparison, never URL normalisation, so case, `..`,
// userinfo and port tricks cannot turn a registered URI into another one.
// The one exception is RFC 8252 §7.3: a native app on a loopback address gets
// a port at run time, so for those the port may differ.

export interface RedirectMatch {
  uri: string;
  /** False when redirect_uri was omitted and the only registered one is used. */
  sent: boolean;
}

// Scheme and host, an optional port, then the rest (path and query) verbatim.
const LOOPBACK = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]))(?::(\d{1,5}))?(.*)$/s;

function loopbackParts(uri: string): { origin: string; port: number | null; rest: string } | null {
  const match = LOOPBACK.exec(uri);
  if (!match) return null;
  const [, origin, port, rest] = match as unknown as [string, string, string | undefined, string];
  return { origin, port: port === undefined ? null : Number(port), rest };
}

function sameLoopbackApartFromPort(registered: string, requested: string): boolean {
  const want = loopbackParts(registered);
  const got = loopbackParts(requested);
  if (!want || !got) return false;
  if (got.port !== null && (got.port < 1 || got.port > 65535)) return false;
  // The rest must be the registered path (and query) exactly, and start where a path starts.
  if (!(got.rest === '' || got.rest.startsWith('/'))) return false;
  return got.origin === want.origin && got.rest === want.rest;
}

/** The redirect URI to use, or null if `requested` is not one the client registered. */
export function matchRedirectUri(registered: readonly string[], requested: string | undefined): RedirectMatch | null {
  if (requested === undefined) {
    return registered.length === 1 ? { uri: registered[0]!, sent: false } : null;
  }
  if (registered.includes(requested)) return { uri: requested, sent: true };
  if (registered.some((uri) => sameLoopbackApartFromPort(uri, requested))) return { uri: requested, sent: true };
  return null;
}
