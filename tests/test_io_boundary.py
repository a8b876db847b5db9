"""The I/O boundary (``literllm._io``): each network failure becomes one literllm error, and
no secret of the request survives in its message or anywhere in its chain."""

from __future__ import annotations

import aiohttp
import pytest

from literllm import APIConnectionError, APITimeoutError, LiterLlmError, ProxyError
from literllm._io import InternalTimeout, is_network_error, network_errors

SECRET = "sk-secret-never-shown"


def _chain(error: BaseException | None) -> list[BaseException]:
    seen = []
    while error is not None and error not in seen:
        seen.append(error)
        error = error.__cause__ or error.__context__
    return seen


def _raised(exc: BaseException) -> LiterLlmError:
    with pytest.raises(LiterLlmError) as info, network_errors(
        "openai", "request to https://x/v1", "cannot connect to https://x/v1", (SECRET,),
        timeout_kind=lambda _exc: "connect", proxy_url="http://proxy:8080",
    ):
        raise exc
    return info.value


@pytest.mark.parametrize(
    ("exc", "cls", "text"),
    [
        (ConnectionResetError(f"reset while sending {SECRET}"), APIConnectionError,
         "openai: cannot connect to https://x/v1: reset while sending"),
        (aiohttp.ClientPayloadError(f"bad payload {SECRET}"), APIConnectionError,
         "cannot connect to https://x/v1: bad payload"),
        (TimeoutError(SECRET), APITimeoutError, "openai: request to https://x/v1 timed out"),
    ],
)
def test_network_failures_become_literllm_errors_without_secrets(
    exc: BaseException, cls: type[LiterLlmError], text: str
) -> None:
    error = _raised(exc)
    assert type(error) is cls and text in str(error)
    assert error.__cause__ is exc
    for link in _chain(error):
        assert SECRET not in str(link) and SECRET not in repr(link.args)


def test_a_timeout_of_our_own_has_no_cause_and_a_verdict_passes_as_it_is() -> None:
    error = _raised(InternalTimeout())
    assert isinstance(error, APITimeoutError) and error.timeout_kind == "connect"
    assert error.__cause__ is None
    verdict = APIConnectionError("a transport's own", provider="openai")
    assert _raised(verdict) is verdict


def test_a_refused_tunnel_is_a_proxy_error_with_its_hint() -> None:
    refused = aiohttp.ClientHttpProxyError(None, (), status=407)  # type: ignore[arg-type]
    error = _raised(refused)
    assert isinstance(error, ProxyError) and error.status_code == 407
    assert "http://proxy:8080 refused the tunnel: HTTP 407 (proxy authentication" in str(error)


def test_bugs_are_not_network_errors() -> None:
    assert is_network_error(OSError()) and is_network_error(aiohttp.ServerDisconnectedError())
    assert not is_network_error(KeyError("x"))
    with pytest.raises(KeyError), network_errors("p", "a", "f", (), timeout_kind=str):
        raise KeyError("a bug stays a bug")
