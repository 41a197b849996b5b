// node's oidc-provider configured as the reference for `python -m bench.flows`: the same
// client, scopes, claims, ID-token algorithm, PKCE and client authentication as the eid
// login service in test mode, and the same silent test sign-in: an authorization request
// of eid-test-client carrying X-Eid-Test-Identity gets its code in one response, the
// citizen signed in and the requested scopes granted without a login or consent page.
//
// The sign-in is a first prompt in the interaction policy: its check runs after the
// provider has loaded the client, session and grant (lib/actions/authorization/index.js:
// loadAccount, loadGrant, interactions) and, for a header request, logs the account in and
// grants the requested scopes, so the built-in login and consent prompts find nothing to
// ask. Never for a real deployment: this file is a benchmark fixture.
import { readFileSync } from 'node:fs';
import Provider, { interactionPolicy } from 'oidc-provider';

const { Prompt, Check, base } = interactionPolicy;
const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const all = JSON.parse(readFileSync(process.env.EID_KEYS, 'utf8')).keys;
const keys = all.filter((k) => k.kid === 'ec-p256' || k.kid === 'rsa-2048');
// The FAPI portal's key for private_key_jwt (fixtures/test-clients.json registers the same).
const { d, ...portalKey } = all.find((k) => k.kid === 'ec-p256-b');
const TEST_CLIENTS = new Set(['eid-test-client', 'eid-fapi-test-client']);

const policy = base();
policy.add(new Prompt({ name: 'test_identity', requestable: false },
  new Check('test_identity', 'silent test sign-in', async (ctx) => {
    const id = ctx.get('x-eid-test-identity');
    const { oidc } = ctx;
    if (!id || !TEST_CLIENTS.has(oidc.client.clientId)) return Check.NO_NEED_TO_PROMPT;
    oidc.session.loginAccount({ accountId: id, acr: 'LoA2', amr: ['test'] });
    oidc.entity('Account', await findAccount(ctx, id));
    let { grant } = oidc;
    if (!grant || grant.accountId !== id) {
      grant = new oidc.provider.Grant({ accountId: id, clientId: oidc.client.clientId });
    }
    grant.addOIDCScope(oidc.requestParamOIDCScopes ? [...oidc.requestParamOIDCScopes].join(' ')
      : oidc.params.scope);
    oidc.session.ensureClientContainer(oidc.client.clientId);
    oidc.session.grantIdFor(oidc.client.clientId, await grant.save());
    oidc.entity('Grant', grant);
    return Check.NO_NEED_TO_PROMPT;
  })), 0);

async function findAccount(ctx, id) {
  return {
    accountId: id,
    async claims() {
      return { sub: id, name: 'Nguyễn Văn Hùng', birthdate: '1978-03-12', gender: 'male' };
    },
  };
}

const provider = new Provider(issuer, {
  jwks: { keys },
  clients: [{
    client_id: 'eid-test-client',
    client_secret: 'eid-test-secret',
    redirect_uris: ['http://127.0.0.1:9999/cb'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }, {
    client_id: 'eid-fapi-test-client',
    redirect_uris: ['http://127.0.0.1:9999/fapi-cb'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [portalKey] },
    id_token_signed_response_alg: 'ES256',
    dpop_bound_access_tokens: true,
    require_pushed_authorization_requests: true,
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'birthdate', 'gender'] },
  acrValues: ['LoA1', 'LoA2'],
  interactions: { policy },
  findAccount,
  features: {
    devInteractions: { enabled: false },
    pushedAuthorizationRequests: { enabled: true },
    // FAPI 2.0 Security Profile for the FAPI client only, as the service applies it.
    fapi: { enabled: true, profile: (ctx, client) => (client?.clientId === 'eid-fapi-test-client' ? '2.0' : undefined) },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
