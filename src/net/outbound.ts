// Every request Gatehouse makes to an address someone else chose (http steps,
// webhooks) goes through here, and may not reach the server's own network:
// loopback, private, link-local (the cloud metadata service at
// 169.254.169.254), carrier-grade NAT, multicast and reserved ranges are
// refused unless the operator allows them (GATEHOUSE_OUTBOUND_ALLOW). The
// check is made on the address actually connected to: an IP in the URL
// before connecting (written in any form, octal and hex included, which the
// URL parser turns into dotted decimal), each DNS answer as the connection
// looks it up (a name that resolves to loopback, or rebinds between two
// lookups, is caught where it is used), and the socket's remote address once
// connected. Redirects are followed here, hop by hop, each checked the same.
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import { Agent, buildConnector, request, type Dispatcher } from 'undici';

export class OutboundRefused extends Error {}

/** Ranges no outbound request may reach by default (IANA special-purpose registries). */
const DENIED_V4 = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24',
  '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
];
const DENIED_V6 = ['::/128', '::1/128', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8'];

function blockList(entries: string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

/** An IPv4 address written as IPv6 (::ffff:a.b.c.d or ::ffff:xxxx:xxxx) is that IPv4 address. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^(?:0*:)*:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return address;
}

export class OutboundPolicy {
  readonly #denied = { v4: blockList(DENIED_V4), v6: blockList(DENIED_V6) };
  readonly #allowed: BlockList;

  /** `allow`: addresses or CIDR ranges the operator opens (e.g. an internal service). */
  constructor(allow: string[] = []) {
    this.#allowed = blockList(allow);
  }

  /** Whether a request may connect to this IP address. */
  permits(rawAddress: string): boolean {
    const address = unmapped(rawAddress.replace(/^\[|\]$/g, ''));
    const family = isIP(address);
    if (family === 0) return false;
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (this.#allowed.check(address, type)) return true;
    return !(family === 6 ? this.#denied.v6 : this.#denied.v4).check(address, type);
  }
}

export interface OutboundRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** The whole exchange, redirects included. */
  timeoutMs: number;
  /** At most this much of the response body is read. */
  maxBodyBytes: number;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body was longer than maxBodyBytes and was cut. */
  truncated: boolean;
  /** Where the final response came from, after redirects. */
  url: string;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class OutboundHttp {
  readonly #policy: OutboundPolicy;
  readonly #agent: Agent;

  constructor(policy: OutboundPolicy, options: { userAgent?: string } = {}) {
    this.#policy = policy;
    void options;
    const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
      dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses) => {
        if (error) return callback(error, '', 0);
        const usable = addresses.filter((a) => policy.permits(a.address));
        if (usable.length === 0) {
          const seen = addresses.map((a) => a.address).join(', ');
          return callback(new OutboundRefused(`${hostname} resolves to ${seen}, a private or reserved address; Gatehouse does not connect there`), '', 0);
        }
        if (lookupOptions.all) return (callback as unknown as (e: null, a: typeof usable) => void)(null, usable);
        return callback(null, usable[0]!.address, usable[0]!.family);
      });
    };
    const connector = buildConnector({ lookup, timeout: 10_000 });
    this.#agent = new Agent({
      connect: (connectOptions, callback) => connector(connectOptions, (error, socket) => {
        if (error) return callback(error, null);
        // Whatever the lookup said, the address connected to decides.
        const remote = socket!.remoteAddress ?? '';
        if (!policy.permits(remote)) {
          socket!.destroy();
          return callback(new OutboundRefused(`${connectOptions.hostname} connected to ${remote}, a private or reserved address`), null);
        }
        return callback(null, socket!);
      }),
    });
  }

  /** Refuses a URL Gatehouse will not request, before any connection: other schemes, and IP literals it may not reach. */
  check(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new OutboundRefused(`"${raw.slice(0, 200)}" is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused(`only http and https URLs are requested, not ${url.protocol}`);
    if (url.username || url.password) throw new OutboundRefused('URLs with credentials in them are not requested; send an Authorization header instead');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) !== 0 && !this.#policy.permits(host)) throw new OutboundRefused(`${host} is a private or reserved address; Gatehouse does not connect there`);
    return url;
  }

  async request(input: OutboundRequest): Promise<OutboundResponse> {
    const timeout = AbortSignal.timeout(input.timeoutMs);
    const signal = input.signal ? AbortSignal.any([input.signal, timeout]) : timeout;
    let url = this.check(input.url);
    let method = input.method.toUpperCase();
    let body = input.body;
    for (let hop = 0; ; hop++) {
      const response = await request(url, {
        dispatcher: this.#agent as Dispatcher,
        method: method as Dispatcher.HttpMethod,
        headers: input.headers,
        body: method === 'GET' || method === 'HEAD' ? undefined : body,
        signal,
      });
      const location = response.headers.location;
      if (REDIRECTS.has(response.statusCode) && typeof location === 'string') {
        await response.body.dump();
        if (hop >= MAX_REDIRECTS) throw new OutboundRefused(`more than ${MAX_REDIRECTS} redirects`);
        url = this.check(new URL(location, url).href);
        if (response.statusCode === 303 || ((response.statusCode === 301 || response.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      const { text, truncated } = await readCapped(response.body, input.maxBodyBytes);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      return { status: response.statusCode, headers, body: text, truncated, url: url.href };
    }
  }

  async close(): Promise<void> {
    await this.#agent.close();
  }
}

async function readCapped(stream: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size + chunk.length > max) {
      chunks.push(chunk.subarray(0, max - size));
      stream.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
