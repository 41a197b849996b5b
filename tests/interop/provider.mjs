// An independent OpenID Connect provider for the relying-party interop test.
// Configured like a real deployment would be for one confidential client, with
// the fixture signing keys; devInteractions supply the login and consent forms.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const all = JSON.parse(readFileSync(process.env.EID_KEYS, 'utf8')).keys;
const keys = all.filter((k) => k.kid === 'ec-p256' || k.kid === 'rsa-2048');
// The portal's own key for private_key_jwt: only its public half is registered.
const { d, ...portalKey } = all.find((k) => k.kid === 'ec-p256-b');

const provider = new Provider(issuer, {
  jwks: { keys },
  clients: [{
    client_id: 'interop-portal',
    client_secret: 'interop-portal-secret-0123456789',
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }, {
    // The same portal registered to require DPoP-bound tokens (RFC 9449 §5.2).
    client_id: 'interop-portal-dpop',
    client_secret: 'interop-portal-secret-0123456789',
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
    dpop_bound_access_tokens: true,
  }, {
    // A portal that authenticates with a private key instead of a secret (OIDC Core §9).
    client_id: 'interop-portal-pkjwt',
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    jwks: { keys: [portalKey] },
    id_token_signed_response_alg: 'ES256',
  }],
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name', 'birthdate', 'gender'] },
  features: { devInteractions: { enabled: true } },  // DPoP is always on in v9
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, name: 'Nguyễn Văn Hùng', birthdate: '1978-03-12', gender: 'male' };
      },
    };
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
