"""``python -m literllm`` (and the ``literllm`` command): chat, replay, bench.

    literllm chat openai/gpt-4o "Say hello"         # live; the key from the environment
    echo "Say hello" | literllm chat qwen3 --base-url http://localhost:8000/v1 --stats
    literllm chat openai/gpt-4o --system "Be brief" --param temperature=0.2 "Why?"
    literllm replay body.sse --provider anthropic    # the text, as it streams
    literllm replay body.bin --provider bedrock --final
    literllm bench --quick

Bad input (a missing file, an unknown provider, a corrupt stream) prints one line naming the
problem and exits non-zero; no traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._stats import StreamStats

__all__ = ["main"]


def _chunk_json(chunk: Any) -> str:
    import orjson

    return orjson.dumps(chunk.to_dict()).decode()


def _replay(args: argparse.Namespace) -> int:
    from ._replay import replay, replay_events

    split: int | tuple[str, int] | None = args.split
    if args.seed is not None:
        split = ("seed", args.seed)
    out = sys.stdout
    if args.events:
        import orjson

        for shown in replay_events(args.file, args.provider, split=split, shown=True):
            out.write(orjson.dumps(shown).decode() + "\n")
        return 0
    if args.final:
        import orjson

        from ._replay import replay_completion

        completion = replay_completion(args.file, args.provider, split=split, model=args.model)
        out.write(orjson.dumps(completion.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    for chunk in replay(args.file, args.provider, split=split, model=args.model):
        if args.json:
            out.write(_chunk_json(chunk) + "\n")
        else:
            for choice in chunk.choices:
                out.write(choice.delta.content or "")
            out.flush()
    if not args.json:
        out.write("\n")
    return 0


def _prompt(args: argparse.Namespace) -> str:
    if args.prompt is not None:
        return str(args.prompt)
    text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    if not text.strip():
        raise _UsageError("no prompt: give it as an argument, or pipe it in on standard input")
    return text


def _typed_params(pairs: Sequence[str]) -> dict[str, Any]:
    """``--param key=value`` pairs, each value typed as ``ChatParams`` types that key: JSON
    where JSON fits the type (``0.2``, ``64``, ``true``, ``["a","b"]``, ``{...}``), else the
    text itself (``stop=END``, ``user=1234``)."""
    import orjson

    from ._params import check_params, matches_type

    params: dict[str, Any] = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        if not equals or not key:
            raise _UsageError(f"--param {pair!r}: write it as key=value")
        try:
            value: Any = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = text
        if not matches_type(key, value) and matches_type(key, text):
            value = text
        params[key] = value
    try:
        check_params("chat_stream", params)
    except TypeError as exc:  # an unknown key: say it as the CLI's own mistake
        raise _UsageError(f"--param: {exc}") from None
    return params


def _base_url_from_env(model: str) -> tuple[str, str] | None:
    """``{PROVIDER}_BASE_URL`` for the model's provider, when set: the way the official SDKs
    let a shell point a tool at a local or self-hosted server."""
    import os
    import re

    from .providers import resolve_model

    try:
        provider = resolve_model(model)[0].name
    except Exception:  # unroutable: the client says so, with the known prefixes
        return None
    variable = re.sub(r"[^A-Za-z0-9]", "_", provider).upper() + "_BASE_URL"
    value = os.environ.get(variable)
    return (provider, value) if value else None


async def _chat(args: argparse.Namespace) -> int:
    import os

    from .client import LlmClient

    params = _typed_params(args.param)
    if args.api_key_env:
        key = os.environ.get(args.api_key_env)
        if not key:
            raise _UsageError(f"--api-key-env {args.api_key_env}: that variable is not set")
        params["api_key"] = key
    messages: list[Any] = []
    if args.system is not None:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": _prompt(args)})
    options: dict[str, Any] = {}
    from_env = None if args.base_url else _base_url_from_env(args.model)
    if from_env is not None:
        options["provider_options"] = {from_env[0]: {"base_url": from_env[1]}}
    out = sys.stdout
    async with LlmClient(base_url=args.base_url, **options) as client, await client.chat_stream(
        args.model, messages, **params
    ) as stream:
        async for chunk in stream:
            if args.json:
                out.write(_chunk_json(chunk) + "\n")
            elif chunk.choices:
                out.write(chunk.choices[0].delta.content or "")
            out.flush()
    if not args.json:
        out.write("\n")
    if args.stats:
        sys.stderr.write(_stats_line(stream.stats) + "\n")
    return 0


def _stats_line(stats: StreamStats) -> str:
    first = stats.time_to_first_chunk
    parts = [f"time to first chunk {first:.3f} s" if first is not None else "no content"]
    usage = stats.usage
    if usage is not None:
        if stats.output_tokens_per_second is not None:
            parts.append(f"{stats.output_tokens_per_second:.1f} tokens/s")
        parts.append(f"usage {usage.prompt_tokens} in, {usage.completion_tokens} out, "
                     f"{usage.total_tokens} total")
        if stats.cost is not None:
            parts.append(f"${stats.cost:.6f}")
    else:
        parts.append("no usage sent")
    if len(stats.attempts) > 1:
        parts.append(f"{len(stats.attempts)} attempts")
    parts.append(f"{stats.duration or 0:.3f} s in all")
    return f"literllm chat: {stats.provider}/{stats.model}: " + "; ".join(parts)


class _UsageError(Exception):
    """A command line that cannot be run: one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="literllm", description="Stream from LLM providers; replay recorded streams."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser(
        "chat", help="stream a reply (key from the environment)",
        description="Stream a reply live; prints the text as it comes. The key is the "
        "provider's own variable (OPENAI_API_KEY, ...) unless --api-key-env names another; "
        "{PROVIDER}_BASE_URL (OPENAI_BASE_URL, OLLAMA_BASE_URL, ...) points a provider at "
        "another server unless --base-url is given.",
    )
    chat.add_argument("model", help="provider/model, e.g. openai/gpt-4o; without a prefix, "
                      "with --base-url: the model name that server knows")
    chat.add_argument("prompt", nargs="?",
                      help="the user message (read from standard input when not given)")
    chat.add_argument("--base-url", metavar="URL",
                      help="the server's base URL, e.g. http://localhost:8000/v1")
    chat.add_argument("--api-key-env", metavar="NAME",
                      help="read the key from this environment variable")
    chat.add_argument("--system", metavar="TEXT", help="a system message before the prompt")
    chat.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="a request parameter (repeatable), typed as the request types it: "
                      "temperature=0.2, max_tokens=64, stop=END, "
                      "response_format='{\"type\":\"json_object\"}'")
    chat.add_argument("--json", action="store_true", help="one chunk per line, as JSON")
    chat.add_argument("--stats", action="store_true", help="after the reply, on standard "
                      "error: time to first chunk, tokens per second, usage")

    replay = commands.add_parser(
        "replay", help="replay a recorded response body",
        description="Replay a recorded response body through the provider's adapter, offline.",
    )
    replay.add_argument("file", help="the recorded body (.sse, .bin, ...)")
    replay.add_argument("--provider", help="its wire format: openai, anthropic, gemini, "
                        "cohere, bedrock, ... (read from a record_to= sidecar when not given)")
    replay.add_argument("--model", default="", help="the model name, where the body names none")
    shown = replay.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="one chunk per line, as JSON")
    shown.add_argument("--final", action="store_true",
                       help="the accumulated ChatCompletion, as JSON")
    shown.add_argument("--events", action="store_true",
                       help="the raw SSE events or EventStream messages, one per line")
    cut = replay.add_mutually_exclusive_group()
    cut.add_argument("--split", type=int, metavar="BYTES", help="feed the body in pieces")
    cut.add_argument("--seed", type=int, help="feed the body in random pieces (seeded)")

    commands.add_parser("bench", help="the benchmark (python -m literllm.bench)",
                        add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["bench"]:
        from .bench.__main__ import main as bench

        return bench(argv[1:])
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    # argparse takes an optional positional where it first meets positionals, so a prompt
    # written after the options (chat MODEL --system S "prompt") comes back unclaimed.
    if extra and args.command == "chat" and args.prompt is None and len(extra) == 1 and (
            not extra[0].startswith("-")):
        args.prompt, extra = extra[0], []
    if extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from .errors import LiterLlmError

    try:
        if args.command == "replay":
            return _replay(args)
        return asyncio.run(_chat(args))
    except LiterLlmError as exc:
        sys.stdout.flush()
        print(f"literllm {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except _UsageError as exc:
        print(f"literllm {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
