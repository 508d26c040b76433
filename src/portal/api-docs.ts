// /docs: how to call this server. Every URL on the page is this server's own
// (the issuer and the endpoints the metadata lists), and the snippets are
// ready to paste: only the placeholders (your_client_id, …) need filling in.
// Values are quoted for the snippet's language first, then HTML-escaped.
import type { FastifyInstance } from 'fastify';
import type { Services } from '../services.ts';
import { endpointUrls, METADATA_PATH } from '../oauth/endpoints/metadata.ts';
import { OPENAPI_PATH } from '../api/openapi.ts';
import { SCOPES } from '../scopes.ts';
import { html, type Html } from '../web/html.ts';
import { renderPage } from '../web/page-layer.ts';
import { sendPage } from '../web/respond.ts';
import { COPY_SCRIPT_TAG, copyButton } from '../web/widgets.ts';

/** A Python string literal (JSON's double-quoted strings are valid Python 3). */
const py = (value: string): string => JSON.stringify(value);
/** A POSIX shell word: single quotes, with each ' written as '\''. */
const sh = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

interface Urls {
  issuer: string;
  token: string;
  api: string;
}

/** Client Credentials, then GET /api/v1/processes/{id}: the flow of the first seed guide. */
export function clientCredentialsPython(urls: Urls): string {
  return `# Read a process with your application's own access token
# (OAuth 2.0 Client Credentials grant). Needs: pip install requests
import sys

import requests

TOKEN_URL = ${py(urls.token)}
API_URL = ${py(urls.api)}
client_id = "your_client_id"
client_secret = "your_client_secret"


def get_access_token():
    response = requests.post(TOKEN_URL, data={
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
    })
    if response.status_code != 200:
        sys.exit("Could not get an access token: " + response.json()["message"])
    return response.json()["access_token"]


def get_process(process_id):
    headers = {"Authorization": "Bearer " + get_access_token()}
    response = requests.get(API_URL + "/processes/" + process_id, headers=headers)
    if response.status_code != 200:
        sys.exit("Could not read process " + process_id + ": " + response.json()["message"])
    return response.json()


print(get_process("your_process_id"))
`;
}

/** A personal access token as a Bearer token: the second seed guide's PAT call. */
export function personalTokenPython(urls: Urls): string {
  return `# Call the API with a personal access token (make one under Tokens).
import requests

API_URL = ${py(urls.api)}
headers = {"Authorization": "Bearer your_personal_access_token"}

response = requests.get(API_URL + "/processes/your_process_id", headers=headers)
print(response.status_code, response.json())
`;
}

export function curlExample(urls: Urls): string {
  return `# 1. An access token for your application (Client Credentials grant)
curl -sS ${sh(urls.token)} \\
  --data-urlencode grant_type=client_credentials \\
  --data-urlencode client_id=your_client_id \\
  --data-urlencode client_secret=your_client_secret

# 2. Call the API with it, or with a personal access token
curl -sS ${sh(`${urls.api}/processes/your_process_id`)} \\
  -H 'Authorization: Bearer your_access_token'
`;
}

function snippet(id: string, title: string, language: string, code: string, intro: Html): Html {
  return html`<section class="snippet" aria-labelledby="${id}-heading">
<div class="snippet-head">
<h3 id="${id}-heading">${title}</h3>
${copyButton(id, `Copy the ${title} example`)}
</div>
${intro}
<pre class="code" tabindex="0"><code id="${id}" class="language-${language}">${code}</code></pre>
</section>`;
}

const ENDPOINT_LABELS: Record<keyof ReturnType<typeof endpointUrls>, string> = {
  authorization_endpoint: 'Authorization',
  token_endpoint: 'Token',
  revocation_endpoint: 'Revocation',
  introspection_endpoint: 'Introspection',
  device_authorization_endpoint: 'Device authorization',
  jwks_uri: 'Signing keys (JWKS)',
};

export function apiDocsPage(app: FastifyInstance, services: Services): void {
  const { issuer } = services.config;
  const endpoints = endpointUrls(issuer);
  const urls: Urls = { issuer, token: endpoints.token_endpoint, api: `${issuer}/api/v1` };

  app.get('/docs', async (request, reply) => {
    const body = html`<div class="page-head">
<h1>API</h1>
<p class="muted">Everything a script needs to call this Gatehouse server. Register an application under <a href="/apps">Applications</a> for OAuth, or make a <a href="/tokens">personal access token</a>.</p>
</div>
<section class="card" aria-labelledby="server-heading">
<h2 id="server-heading">Server</h2>
<dl class="endpoints">
<dt>Issuer</dt><dd><code id="issuer">${issuer}</code></dd>
<dt>Metadata (RFC 8414)</dt><dd><code>${issuer}${METADATA_PATH}</code></dd>
${(Object.keys(ENDPOINT_LABELS) as Array<keyof typeof ENDPOINT_LABELS>).map((key) => html`<dt>${ENDPOINT_LABELS[key]}</dt><dd><code>${endpoints[key]}</code></dd>`)}
<dt>REST API</dt><dd><code>${urls.api}</code></dd>
</dl>
<p class="muted">Send the access token as <code>Authorization: Bearer …</code>; tokens in the query string are refused. Errors are JSON with a <code>message</code>.</p>
</section>
<section class="card" aria-labelledby="routes-heading">
<h2 id="routes-heading">Endpoints</h2>
<p>Every endpoint of the REST API, with its parameters, request body, answers and the scope it needs, is in the <a href="/docs/api">API reference</a>, generated from the server's own <a href="${OPENAPI_PATH}">OpenAPI 3.1 document</a> (<code>${issuer}${OPENAPI_PATH}</code>).</p>
</section>
<section class="card" aria-labelledby="scopes-heading">
<h2 id="scopes-heading">Scopes</h2>
<dl class="scope-list">
${Object.entries(SCOPES).map(([scope, description]) => html`<dt><code>${scope}</code></dt><dd>${description}</dd>`)}
</dl>
</section>
<section class="card" aria-labelledby="examples-heading">
<h2 id="examples-heading">Examples</h2>
${snippet('example-client-credentials', 'Python: client credentials', 'python', clientCredentialsPython(urls),
    html`<p class="muted">Replace <code>your_client_id</code>, <code>your_client_secret</code> and <code>your_process_id</code>.</p>`)}
${snippet('example-pat', 'Python: personal access token', 'python', personalTokenPython(urls),
    html`<p class="muted">Replace <code>your_personal_access_token</code> and <code>your_process_id</code>.</p>`)}
${snippet('example-curl', 'curl', 'shell', curlExample(urls),
    html`<p class="muted">The first command prints JSON with an <code>access_token</code>; put it in place of <code>your_access_token</code>.</p>`)}
</section>
<section class="card" aria-labelledby="oauthlib-heading">
<h2 id="oauthlib-heading">Python with oauthlib (authorization code)</h2>
<p>Scripts that sign a user in with <code>requests_oauthlib</code> or <code>oauthlib</code>, such as ProcessMaker's guide, work as written, with two things to know:</p>
<ul>
${issuer.startsWith('http:') ? html`<li>This server is on plain <code>http</code>, and oauthlib refuses that unless told otherwise: run the script with <code>OAUTHLIB_INSECURE_TRANSPORT=1</code> in its environment. It is oauthlib's own switch; over <code>https</code> it is not needed.</li>` : ''}
<li>The guide's line <code>auth_url, _ = client.prepare_request_uri(…)</code> is a bug in the guide: oauthlib returns a single string, so Python stops with <code>ValueError: too many values to unpack</code>. Write <code>auth_url = client.prepare_request_uri(…)</code>.</li>
</ul>
</section>
${COPY_SCRIPT_TAG}`;
    return sendPage(reply, renderPage(request, { title: 'API', body, section: '/docs' }));
  });
}
