// What a registered redirect URI may be (RFC 9700 §2.1, §4.1; RFC 8252 §7).

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]']);
// Private-use schemes of native apps must look like reverse domain names.
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/;

export const isLoopbackHttp = (url: URL): boolean => url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);

/** Returns why `uri` cannot be registered, or null if it can. */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length > 2000) return 'is too long';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'is not an absolute URL';
  }
  if (url.hash || uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain user information';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') return isLoopbackHttp(url) ? null : 'must use https (http is allowed only for 127.0.0.1 and [::1])';
  if (PRIVATE_USE_SCHEME.test(url.protocol)) return null;
  return `uses a scheme that is not allowed (${url.protocol})`;
}
