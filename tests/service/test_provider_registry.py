"""The login service's registry: the fixture or file registry keeps its logins' citizens
decoded (authorize, token and userinfo read the same one within seconds)."""

from __future__ import annotations

from pathlib import Path

from eid.population import SqliteRegistry
from service.config import Settings
from service.provider import REGISTRY_KEEP_DECODED, _registry

HEAD = "074078000101"  # fixtures/README.md: Nguyễn Văn Hùng


def test_the_embedded_registry_keeps_its_logins_decoded(tmp_path: Path) -> None:
    registry = _registry(Settings(test_mode=True, instance=tmp_path))
    assert isinstance(registry, SqliteRegistry)
    assert registry.get(HEAD) is registry.get(HEAD)
    assert registry._keep == REGISTRY_KEEP_DECODED == 4096
