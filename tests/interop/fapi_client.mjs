// An independent FAPI 2.0 relying party for the login-service interop test:
// node's openid-client (not our code) against our provider.
//
//   node fapi_client.mjs <issuer> <redirect_uri>
//
// It discovers the issuer, registers itself (RFC 7591) with its own ES256 key
// for private_key_jwt (RFC 7523) and DPoP-bound tokens (RFC 9449), pushes its
// authorization request (RFC 9126) with a DPoP proof, follows the authorization
// URL once (the mock's persona signs in silently and redirects with the code),
// redeems the code and calls userinfo with DPoP. openid-client does the PKCE,
// the state/nonce/iss checks, the ID-token validation and the DPoP nonce
// retries. One JSON object on stdout is the result; any failure exits 1 with
// the error on stderr.
//
// JWE (encrypted ID token and userinfo) is the next step: with EID_OCLIENT_JWE=1
// the client also registers an ECDH-ES key and id_token/userinfo_encrypted_*
// metadata and decrypts; the result then says which responses came encrypted.
import * as client from 'openid-client';

const [issuer, redirectUri] = process.argv.slice(2);
if (!issuer || !redirectUri) {
  console.error('usage: node fapi_client.mjs <issuer> <redirect_uri>');
  process.exit(2);
}
const jwe = process.env.EID_OCLIENT_JWE === '1';
const TIMEOUT = 10;  // seconds, every request (openid-client's own option)

async function keyPair(params, usages, kid, extra) {
  const pair = await crypto.subtle.generateKey(params, true, usages);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  delete jwk.key_ops;
  delete jwk.ext;
  return { pair, jwk: { ...jwk, kid, ...extra } };
}

async function main() {
  // The client's own key for private_key_jwt; only its public half is registered.
  const signing = await keyPair({ name: 'ECDSA', namedCurve: 'P-256' }, ['sign', 'verify'],
    'oclient-es256', { use: 'sig', alg: 'ES256' });
  const keys = [signing.jwk];
  const metadata = {
    client_name: 'openid-client FAPI interop',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    scope: 'openid profile',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'ES256',
    id_token_signed_response_alg: 'ES256',
    require_pushed_authorization_requests: true,
    dpop_bound_access_tokens: true,
  };
  let encryption;
  if (jwe) {
    encryption = await keyPair({ name: 'ECDH', namedCurve: 'P-256' }, ['deriveBits'],
      'oclient-ecdh-es', { use: 'enc', alg: 'ECDH-ES' });
    keys.push(encryption.jwk);
    Object.assign(metadata, {
      id_token_encrypted_response_alg: 'ECDH-ES',
      id_token_encrypted_response_enc: 'A256GCM',
      userinfo_encrypted_response_alg: 'ECDH-ES',
      userinfo_encrypted_response_enc: 'A256GCM',
    });
  }
  metadata.jwks = { keys };

  const auth = client.PrivateKeyJwt({ key: signing.pair.privateKey, kid: signing.jwk.kid });
  // http is refused by default; the provider is on loopback in the test.
  const config = await client.dynamicClientRegistration(new URL(issuer), metadata, auth, {
    execute: [client.allowInsecureRequests], timeout: TIMEOUT,
  });
  config.timeout = TIMEOUT;
  if (encryption) {
    client.enableDecryptingResponses(config, ['A256GCM'],
      { key: encryption.pair.privateKey, kid: encryption.jwk.kid });
  }
  const registered = config.clientMetadata();

  const dpopKeys = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, dpopKeys);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: redirectUri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  }, { DPoP });

  // The browser's part: one GET, answered with the redirect to the portal.
  const answer = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT * 1000) });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || !location || !location.startsWith(redirectUri)) {
    throw new Error(`authorization answered ${answer.status} ${location}: ${await answer.text()}`);
  }

  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  }, undefined, { DPoP });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub, { DPoP });

  const result = {
    client_id: registered.client_id,
    request_uri: url.searchParams.get('request_uri'),
    authorization_response: Object.fromEntries(new URL(location).searchParams),
    token_type: tokens.token_type,
    access_token: tokens.access_token,
    scope: tokens.scope,
    sub: claims.sub,
    claims,
    userinfo,
  };
  if (encryption) {
    result.encrypted = {
      id_token: client.getDecryptedResponses(tokens) !== undefined,
      userinfo: client.getDecryptedResponses(userinfo) !== undefined,
    };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  const detail = { name: err.name, message: err.message, code: err.code, error: err.error,
    error_description: err.error_description, status: err.status, cause: String(err.cause ?? '') };
  console.error(JSON.stringify(detail));
  process.exit(1);
});
