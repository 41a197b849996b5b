"""Keys shared with the verifier tests."""

from tests.verify.conftest import signing_keys

__all__ = ["signing_keys"]
