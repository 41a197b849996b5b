"""The national login service: a Flask OpenID Connect provider over ``eid``.

Nothing in ``eid`` or ``flask_eid`` imports this package; it plugs into them
through entry points (its ``eid`` commands and its pytest plugin). Flask is
imported only when ``create_app`` is first used, so registering the commands
costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from service.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from service.app import create_app

        return create_app
    raise AttributeError(name)
