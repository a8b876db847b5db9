"""IBM watsonx.ai against a local server that speaks its API byte for byte: an IBM Cloud IAM
token endpoint (API key in, bearer token out) and the chat endpoints (``/ml/v1/text/chat_stream``
streaming OpenAI-shaped chunks as ``event: message`` SSE, ``/ml/v1/text/chat`` a JSON reply)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from literllm import AuthenticationError, ConfigurationError, LlmClient

API_KEY = "ibm-cloud-apikey-canary-0001"
TOKEN = "iam-access-token-canary-0002"
PROJECT = "proj-1234"
MESSAGES = [{"role": "user", "content": "hi"}]


class Watsonx:
    def __init__(self, lifetime: int = 3600) -> None:
        self.lifetime = lifetime
        self.exchanges = 0
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if form.get("grant_type") != "urn:ibm:params:oauth:grant-type:apikey" or (
                form.get("apikey") != API_KEY):
            return web.json_response({"errorCode": "BXNIM0415E",
                                      "errorMessage": "Provided API key could not be found"},
                                     status=400)
        self.exchanges += 1
        return web.json_response({"access_token": f"{TOKEN}-{self.exchanges}",
                                  "refresh_token": "not_supported", "token_type": "Bearer",
                                  "expires_in": self.lifetime, "scope": "ibm openid"})

    def _check(self, request: web.Request, body: Any) -> web.Response | None:
        self.requests.append((request.path_qs, dict(request.headers), body))
        if not request.headers.get("Authorization", "").startswith(f"Bearer {TOKEN}"):
            return web.json_response({"errors": [{"code": "authentication_token_not_valid",
                                                  "message": "Failed to authenticate"}],
                                      "status_code": 401}, status=401)
        return None

    async def chat_stream(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        refused = self._check(request, body)
        if refused is not None:
            return refused
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-1", "model_id": body["model_id"], "model": body["model_id"],
                "created": 1733000000, "model_version": "3.3.0",
                "created_at": "2026-12-05T00:00:00.000Z"}
        pieces = [({"role": "assistant", "content": ""}, None), ({"content": "Hello"}, None),
                  ({"content": " there"}, None), ({}, "stop")]
        for number, (delta, finish) in enumerate(pieces, 1):
            chunk = {**base, "choices": [{"index": 0, "finish_reason": finish, "delta": delta}]}
            if finish:
                chunk["usage"] = {"completion_tokens": 2, "prompt_tokens": 5, "total_tokens": 7}
            await response.write(f"id: {number}\nevent: message\ndata: {json.dumps(chunk)}\n\n"
                                 .encode())
        await response.write_eof()
        return response

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._check(request, body)
        if refused is not None:
            return refused
        return web.json_response({
            "id": "chatcmpl-2", "model_id": body["model_id"], "created": 1733000000,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"},
                         "finish_reason": "stop"}],
            "usage": {"completion_tokens": 2, "prompt_tokens": 5, "total_tokens": 7}})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/identity/token", self.token)
        app.router.add_post("/ml/v1/text/chat_stream", self.chat_stream)
        app.router.add_post("/ml/v1/text/chat", self.chat)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.runner is not None
        await self.runner.cleanup()


@pytest.fixture
async def watsonx() -> AsyncIterator[Watsonx]:
    server = Watsonx()
    await server.start()
    yield server
    await server.stop()


def client_for(server: Watsonx, key: str = API_KEY, **options: Any) -> LlmClient:
    return LlmClient(api_key=key, max_retries=0, provider_options={"watsonx": {
        "base_url": server.url, "project_id": PROJECT,
        "iam_url": server.url + "/identity/token", **options}})


async def test_stream_and_chat_with_one_iam_exchange(watsonx: Watsonx) -> None:
    async with client_for(watsonx) as client:
        streamed = await (await client.chat_stream("watsonx/ibm/granite-3-8b-instruct",
                                                   MESSAGES, max_tokens=20)).final()
        whole = await client.chat("watsonx/ibm/granite-3-8b-instruct", MESSAGES)
    for completion in (streamed, whole):
        assert completion.choices[0].message.content == "Hello there"
        assert completion.choices[0].finish_reason == "stop"
        assert completion.usage is not None and completion.usage.total_tokens == 7
    assert watsonx.exchanges == 1, "the token is cached"
    (path, headers, body), (chat_path, _, _) = watsonx.requests
    assert path == "/ml/v1/text/chat_stream?version=2025-02-06"
    assert chat_path == "/ml/v1/text/chat?version=2025-02-06"
    assert headers["Authorization"] == f"Bearer {TOKEN}-1"
    assert body["model_id"] == "ibm/granite-3-8b-instruct" and body["project_id"] == PROJECT
    assert "model" not in body and "stream" not in body and body["max_tokens"] == 20


async def test_an_expiring_token_is_exchanged_again(watsonx: Watsonx) -> None:
    watsonx.lifetime = 30  # under the minute of margin: every request exchanges anew
    async with client_for(watsonx) as client:
        for _ in range(2):
            await (await client.chat_stream("watsonx/m", MESSAGES)).final()
    assert watsonx.exchanges == 2
    assert watsonx.requests[1][1]["Authorization"] == f"Bearer {TOKEN}-2"


async def test_a_refused_api_key_is_an_authentication_error(watsonx: Watsonx) -> None:
    async with client_for(watsonx, key="wrong-key-canary-0003") as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.chat_stream("watsonx/m", MESSAGES)
    assert caught.value.status_code == 400
    assert "wrong-key-canary-0003" not in repr(caught.value) + str(caught.value)
    assert watsonx.requests == []


def test_settings_are_checked_before_any_io(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("WATSONX_URL", "WATSONX_PROJECT_ID", "WATSONX_SPACE_ID"):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(ConfigurationError, match="regional URL"):
        LlmClient(api_key=API_KEY)._prepare("watsonx/m", MESSAGES, {}, stream=True)
    monkeypatch.setenv("WATSONX_URL", "https://us-south.ml.cloud.ibm.com")
    with pytest.raises(ConfigurationError, match="project"):
        LlmClient(api_key=API_KEY)._prepare("watsonx/m", MESSAGES, {}, stream=True)
    monkeypatch.setenv("WATSONX_SPACE_ID", "space-9")
    prepared = LlmClient(api_key=API_KEY)._prepare("watsonx/m", MESSAGES, {}, stream=True)
    assert prepared.request.url == (
        "https://us-south.ml.cloud.ibm.com/ml/v1/text/chat_stream?version=2025-02-06")
    assert json.loads(prepared.request.body)["space_id"] == "space-9"
    with pytest.raises(ConfigurationError, match="did you mean 'project_id'"):
        LlmClient(provider_options={"watsonx": {"projectid": "x"}})
