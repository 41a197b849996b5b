"""Keys shared with the verifier tests."""

from tests.verify.conftest import jwks, keyset, mint, signing_keys

__all__ = ["jwks", "keyset", "mint", "signing_keys"]
