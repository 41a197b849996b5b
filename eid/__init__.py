"""eid: electronic-identity infrastructure for Vietnam's e-government.

Sub-packages: :mod:`eid.verify` (identity tokens), :mod:`eid.population`
(the mocked National Population Database), :mod:`eid.oidc` (OpenID Connect).
"""

from __future__ import annotations

from eid.errors import EidError

__all__ = ["EidError", "__version__"]

__version__ = "0.1.0"
