"""``literllm chat`` against a real local server: a prompt from stdin, --base-url,
--api-key-env, --system, typed --param, --json, --stats, {PROVIDER}_BASE_URL; its mistakes
are one line and exit status 2."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest

from literllm.testing import LocalProvider, ScriptedReply

KEY = "sk-cli-test"
REPLY = ScriptedReply(text=["Hello", " from the", " local server."], prompt_tokens=11,
                      completion_tokens=7)


async def run_cli(*args: str, stdin: str | None = None,
                  env: dict[str, str] | None = None) -> tuple[int, str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if not name.endswith(("_API_KEY", "_BASE_URL"))}
    environment.update(env or {})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "literllm", *args, env=environment,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        process.communicate(stdin.encode() if stdin is not None else None), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
async def server() -> Any:
    async with LocalProvider(api_key=KEY, reply=REPLY) as local:
        yield local


async def test_stdin_prompt_base_url_system_params_and_stats(server: LocalProvider) -> None:
    code, out, err = await run_cli(
        "chat", "some-local-model", "--base-url", server.base_url, "--api-key-env", "MY_KEY",
        "--system", "Be brief.", "--param", "temperature=0.2", "--param", "max_tokens=64",
        "--param", "stop=END", "--param", "user=1234", "--param", 'response_format={"type":'
        '"json_object"}', "--stats", stdin="What is this?\n", env={"MY_KEY": KEY})
    assert code == 0, err
    assert out == REPLY.content + "\n"
    sent = server.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    assert sent.json["model"] == "some-local-model"
    assert sent.json["messages"] == [{"role": "system", "content": "Be brief."},
                                     {"role": "user", "content": "What is this?\n"}]
    assert sent.json["temperature"] == 0.2 and sent.json["max_tokens"] == 64
    assert sent.json["stop"] == "END" and sent.json["user"] == "1234"  # user is typed str
    assert sent.json["response_format"] == {"type": "json_object"}
    assert "time to first chunk" in err and "tokens/s" in err
    assert "usage 11 in, 7 out, 18 total" in err
    assert "literllm chat: openai/some-local-model:" in err


async def test_json_lines_and_provider_base_url_from_the_environment(
    server: LocalProvider,
) -> None:
    code, out, err = await run_cli("chat", "openai/gpt-4o", "Hi", "--json",
                                   env={"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": "http://x"})
    assert code == 1 and "APIConnectionError" in err  # OPENAI_BASE_URL is honoured
    code, out, err = await run_cli("chat", "deepseek/deepseek-chat", "Hi", "--json",
                                   env={"DEEPSEEK_API_KEY": KEY,
                                        "DEEPSEEK_BASE_URL": server.base_url})
    assert code == 0, err
    chunks = [json.loads(line) for line in out.splitlines()]
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks
                   if c["choices"]) == REPLY.content
    assert server.requests[-1].json["model"] == "deepseek-chat"


@pytest.mark.parametrize(("args", "env", "code", "words"), [
    (["chat", "m", "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "NOPE", "hi"], {},
     2, "--api-key-env NOPE: that variable is not set"),
    (["chat", "m", "--base-url", "http://127.0.0.1:9/v1", "--param", "temprature=1", "hi"], {},
     2, "did you mean 'temperature'"),
    (["chat", "m", "--base-url", "http://127.0.0.1:9/v1", "--param", "temperature", "hi"], {},
     2, "write it as key=value"),
    (["chat", "m", "--base-url", "http://127.0.0.1:9/v1", "--param", "max_tokens=lots", "hi"],
     {}, 1, "max_tokens must be an integer, not str 'lots'"),
    (["chat", "m", "--base-url", "http://127.0.0.1:9/v1"], {}, 2, "pipe it in"),
])
async def test_mistakes_are_one_line(args: list[str], env: dict[str, str], code: int,
                                     words: str) -> None:
    returned, _out, err = await run_cli(*args, env=env, stdin="")  # nothing piped in
    assert returned == code, err
    assert words in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


async def _serving(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "literllm.testing", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    assert line.startswith("READY "), line + (await process.stderr.read()).decode()  # type: ignore[union-attr]
    return process, line.split()[1]


async def test_the_test_server_from_the_command_line(tmp_path: Any) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps([{"text": "one"}, {"text": ["t", "wo"], "reasoning": "hm"}]))
    process, url = await _serving("--api-key", "", "--replies", str(replies), "--wire",
                                  "anthropic", "--delay", "0.001",
                                  "--fault", '{"status": 429, "times": 1}')
    try:
        assert not url.endswith("/v1")  # Anthropic's base_url: the root
        code, _out, err = await run_cli("chat", "anthropic/claude", "hi", "--base-url", url,
                                        "--param", "max_tokens=5",
                                        env={"ANTHROPIC_API_KEY": "unused"})
        assert code == 0, err  # the 429 was retried; the first reply served
        code, out, err = await run_cli("chat", "anthropic/claude", "hi", "--base-url", url,
                                       "--param", "max_tokens=5",
                                       env={"ANTHROPIC_API_KEY": "unused"})
        assert (code, out) == (0, "two\n"), err
        code, out, err = await run_cli("chat", "anthropic/claude", "hi", "--base-url", url,
                                       "--param", "max_tokens=5",
                                       env={"ANTHROPIC_API_KEY": "unused"})
        assert code == 1 and "scripted replies ran out" in err
    finally:
        process.terminate()
        await process.wait()


async def test_the_test_server_serves_a_recording_folder(tmp_path: Any) -> None:
    from literllm import LlmClient
    from literllm.testing import Cassette, LocalProvider, ScriptedReply

    async with (
        LocalProvider(api_key=None, reply=ScriptedReply(text=["recorded ", "once"])) as server,
        LlmClient(api_key="k", base_url=server.base_url, transport=Cassette(tmp_path)) as llm,
    ):
        await (await llm.chat_stream("openai/gpt-4o", [{"role": "user", "content": "hi"}])).final()
    process, url = await _serving("--api-key", "", "--recordings", str(tmp_path))
    try:
        code, out, err = await run_cli("chat", "openai/gpt-4o", "hi", "--base-url", url,
                                       env={"OPENAI_API_KEY": "unused"})
        assert (code, out) == (0, "recorded once\n"), err
    finally:
        process.terminate()
        await process.wait()
