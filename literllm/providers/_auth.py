"""How a request is signed: a key header, AWS SigV4 (botocore), an OAuth token (google-auth),
an IBM Cloud IAM token.

The credential chains of botocore and google-auth may look things up (instance metadata, SSO,
token refresh), and IBM's IAM exchange is one HTTP request an hour: these run in a worker
thread, off the event loop and outside the client's connection pool.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any

from ..errors import ConfigurationError
from ._base import HttpRequest

__all__ = ["GoogleOAuth", "IBMCloudIAM", "KeyHeader", "SigV4", "missing_extra"]

IBM_IAM_URL = "https://iam.cloud.ibm.com/identity/token"


def missing_extra(package: str, extra: str, purpose: str) -> ConfigurationError:
    return ConfigurationError(
        f"{purpose} needs {package}: pip install 'literllm[{extra}]'"
    )


class KeyHeader:
    """The key in one header: ``Authorization: Bearer <key>``, ``x-api-key: <key>``, ..."""

    __slots__ = ("_name", "_value")

    def __init__(self, name: str, key: str, prefix: str = "") -> None:
        self._name = name
        self._value = prefix + key

    def __repr__(self) -> str:
        return f"KeyHeader({self._name!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._value, self._value.rpartition(" ")[2])

    async def apply(self, request: HttpRequest) -> HttpRequest:
        request.headers[self._name] = self._value
        return request


async def _in_thread(function: Callable[[], Any]) -> Any:
    import asyncio

    return await asyncio.get_running_loop().run_in_executor(None, function)


class SigV4:
    """AWS Signature Version 4 over the final URL, headers and body (botocore's signer).

    Credentials come from botocore's chain (environment, shared config and profiles, SSO,
    container and instance roles), resolved once per client and refreshed by botocore.
    """

    __slots__ = ("_credentials", "_profile", "_region", "_service")

    def __init__(self, service: str, region: str, *, profile: str | None = None) -> None:
        self._service = service
        self._region = region
        self._profile = profile
        self._credentials: Any = None

    def __repr__(self) -> str:
        return f"SigV4(service={self._service!r}, region={self._region!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        if self._credentials is None:
            return ()
        frozen = self._credentials.get_frozen_credentials()
        return tuple(s for s in (frozen.secret_key, frozen.token) if s)

    def _resolve(self) -> Any:
        try:
            import botocore.session
        except ImportError:
            raise missing_extra("botocore", "bedrock", "Bedrock (AWS SigV4 signing)") from None
        session = botocore.session.Session(profile=self._profile)
        credentials = session.get_credentials()
        if credentials is None:
            raise ConfigurationError(
                "no AWS credentials found for Bedrock (environment, ~/.aws, SSO or an "
                "instance role); or pass a Bedrock API key as api_key= / "
                "AWS_BEARER_TOKEN_BEDROCK",
                provider="bedrock",
            )
        return credentials

    async def apply(self, request: HttpRequest) -> HttpRequest:
        if self._credentials is None:
            self._credentials = await _in_thread(self._resolve)
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        frozen = self._credentials.get_frozen_credentials()
        aws_request = AWSRequest(
            method=request.method, url=request.url, data=request.body, headers=request.headers
        )
        SigV4Auth(frozen, self._service, self._region).add_auth(aws_request)
        return request._replace(headers=dict(aws_request.headers.items()))


class GoogleOAuth:
    """An OAuth access token from google-auth's default credentials (Vertex AI)."""

    SCOPE = "https://www.googleapis.com/auth/cloud-platform"
    __slots__ = ("_credentials", "_expires")

    def __init__(self) -> None:
        self._credentials: Any = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return "GoogleOAuth()"

    @property
    def secrets(self) -> tuple[str, ...]:
        token = getattr(self._credentials, "token", None)
        return (token,) if token else ()

    def _refresh(self) -> None:
        try:
            import google.auth
            import google.auth.transport.requests
        except ImportError:
            raise missing_extra("google-auth", "vertex", "Vertex AI (Google OAuth)") from None
        if self._credentials is None:
            self._credentials, _project = google.auth.default(scopes=[self.SCOPE])
        self._credentials.refresh(google.auth.transport.requests.Request())
        expiry = getattr(self._credentials, "expiry", None)  # naive UTC, as google-auth keeps it
        # Refresh a minute early; without an expiry, every 45 minutes.
        self._expires = (calendar.timegm(expiry.timetuple()) if expiry else time.time() + 2700) - 60

    async def apply(self, request: HttpRequest) -> HttpRequest:
        if self._credentials is None or time.time() >= self._expires:
            await _in_thread(self._refresh)
        request.headers["Authorization"] = f"Bearer {self._credentials.token}"
        return request


class IBMCloudIAM:
    """An IBM Cloud API key exchanged for an IAM access token (watsonx.ai), cached and
    refreshed a minute before it expires; concurrent requests share one exchange."""

    __slots__ = ("_api_key", "_expires", "_lock", "_token", "_url")

    def __init__(self, api_key: str, url: str = IBM_IAM_URL) -> None:
        self._api_key = api_key
        self._url = url
        self._token: str | None = None
        self._expires = 0.0
        self._lock: Any = None

    def __repr__(self) -> str:
        return f"IBMCloudIAM(url={self._url!r})"

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._api_key, self._token) if s)

    def _exchange(self) -> tuple[str, float]:
        import json
        import urllib.error
        import urllib.parse
        import urllib.request

        from ..errors import APIConnectionError, AuthenticationError

        data = urllib.parse.urlencode({
            "grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": self._api_key,
        }).encode()
        request = urllib.request.Request(self._url, data=data, method="POST", headers={
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        })
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.loads(response.read(1 << 20))
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the response (and its socket) open
            raise AuthenticationError(
                f"watsonx: IBM Cloud IAM refused the API key (HTTP {exc.code})",
                status_code=exc.code, provider="watsonx",
            ) from None
        except (OSError, ValueError) as exc:
            raise APIConnectionError(
                f"watsonx: cannot get an IAM token from {self._url}: {type(exc).__name__}",
                provider="watsonx",
            ) from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                "watsonx: IBM Cloud IAM answered without an access token", provider="watsonx"
            )
        expiration = body.get("expiration")
        if not isinstance(expiration, int | float):
            lifetime = body.get("expires_in")
            expiration = time.time() + (lifetime if isinstance(lifetime, int | float) else 3600)
        return token, float(expiration) - 60

    async def apply(self, request: HttpRequest) -> HttpRequest:
        import asyncio

        if self._token is None or time.time() >= self._expires:
            loop = asyncio.get_running_loop()
            if self._lock is None or self._lock[0] is not loop:
                self._lock = (loop, asyncio.Lock())
            async with self._lock[1]:
                if self._token is None or time.time() >= self._expires:
                    self._token, self._expires = await _in_thread(self._exchange)
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request
