"""Command-line counts for the benchmarks: refused when they make no sense, at parse time
(argparse's own error and exit status 2), before any server starts or any round runs."""

from __future__ import annotations

import argparse

__all__ = ["non_negative", "positive"]


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def positive(text: str) -> int:
    """An argparse ``type``: a whole number of at least 1 (rounds, flows, a batch)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive, not {value}")
    return value


def non_negative(text: str) -> int:
    """An argparse ``type``: a whole number of at least 0 (warm-up flows)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value
