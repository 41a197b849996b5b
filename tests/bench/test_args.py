"""The benchmarks' command-line counts: whole numbers in range, or argparse's error."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import pytest

from bench._args import non_negative, positive


@pytest.mark.parametrize(("parse", "text", "value"), [
    (positive, "1", 1), (positive, "2000", 2000), (non_negative, "0", 0), (non_negative, "7", 7)])
def test_a_count_in_range_is_its_number(parse: Callable[[str], int], text: str,
                                        value: int) -> None:
    assert parse(text) == value


@pytest.mark.parametrize(("parse", "text", "says"), [
    (positive, "0", "must be positive, not 0"),
    (positive, "-3", "must be positive, not -3"),
    (non_negative, "-1", "must not be negative, not -1"),
    (positive, "1.5", "not a whole number: '1.5'"),
    (non_negative, "", "not a whole number: ''"),
])
def test_a_count_out_of_range_is_refused(parse: Callable[[str], int], text: str,
                                         says: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=says):
        parse(text)
