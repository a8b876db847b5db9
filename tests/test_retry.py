"""The retry rules: pure functions over statuses and headers."""

from __future__ import annotations

import email.utils
import time

import pytest

from literllm import _retry


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_retried_statuses(status: int) -> None:
    assert _retry.should_retry(status)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422, 501])
def test_statuses_not_retried(status: int) -> None:
    assert not _retry.should_retry(status)


def test_retry_after_forms() -> None:
    assert _retry.retry_after({"retry-after-ms": "1500"}) == 1.5
    assert _retry.retry_after({"retry-after-ms": "x", "retry-after": "2"}) == 2.0
    assert _retry.retry_after({"retry-after": "-3"}) == 0.0
    assert _retry.retry_after({}) is None
    assert _retry.retry_after({"retry-after": "soon"}) is None
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 27 <= (_retry.retry_after({"retry-after": when}) or 0) <= 30


def test_backoff_doubles_with_jitter_and_honours_the_server() -> None:
    for attempt, ceiling in ((0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)):
        for _ in range(50):
            assert ceiling * 0.75 <= _retry.backoff(attempt, None) <= ceiling
    assert _retry.backoff(0, 3.0) == 3.0
    assert _retry.backoff(0, 0.0) == 0.0
    assert _retry.backoff(0, 61.0) <= 0.5  # over the cap: our own backoff instead


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "NaN"])
def test_retry_after_that_is_not_a_finite_number_is_ignored(value: str) -> None:
    assert _retry.retry_after({"retry-after": value}) is None
    assert _retry.retry_after({"retry-after-ms": value}) is None


def test_negative_retry_after_is_zero() -> None:
    assert _retry.retry_after({"retry-after": "-5"}) == 0.0
    assert _retry.retry_after({"retry-after-ms": "-5000"}) == 0.0
