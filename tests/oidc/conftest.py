"""The oidc tests share the verifier tests' keys."""

from tests.verify.conftest import jwks, keyset, mint, signing_keys

__all__ = ["jwks", "keyset", "mint", "signing_keys"]
