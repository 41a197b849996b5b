"""The national login service: a Flask OpenID Connect provider over ``eid``.

``eid`` never imports this package except ``service.cli`` by name (the ``eid
serve`` command), so Flask is imported only when ``create_app`` is first used.
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
