// A real OAuth 2.1 / OpenID Connect authorization server for the OAuth tests: oidc-provider on loopback,
// with dynamic client registration, PKCE, resource indicators (RFC 8707), introspection and revocation.
//
//   node provider.mjs <config.json>
//
// config.json: {"port": 0, "jwks": {"keys": [private JWKs]}, "client": {"id": "...", "secret": "..."}}
// The tests generate the signing keys, so they can also sign the malformed tokens a real issuer never
// would (expired, wrong audience, ...) with a key this issuer publishes. Sign-in and consent are
// oidc-provider's development pages (any login name is accepted), driven by the tests over HTTP.
//
// Printed once listening: "listening http://127.0.0.1:<port>".
// POST /test/format {"resource": "...", "format": "jwt" | "opaque"}: how tokens for a resource are issued.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const SCOPES = 'tokens:count tokens:admin';
const formats = new Map();

const server = createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: config.jwks,
  clients: [{
    client_id: config.client.id,
    client_secret: config.client.secret,
    grant_types: [],
    response_types: [],
    redirect_uris: [],
  }],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  scopes: ['openid', 'offline_access', ...SCOPES.split(' ')],
  pkce: { required: () => true },
  ttl: { AccessToken: 600 },
  features: {
    devInteractions: { enabled: true },
    registration: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: SCOPES,
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: formats.get(resource) ?? 'jwt',
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
const callback = provider.callback();

server.on('request', (req, res) => {
  if (req.method === 'POST' && req.url === '/test/format') {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      const { resource, format } = JSON.parse(body);
      formats.set(resource, format);
      res.writeHead(204).end();
    });
    return;
  }
  callback(req, res);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));
console.log(`listening ${issuer}`);
