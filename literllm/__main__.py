"""``python -m literllm`` (and the ``literllm`` command): chat, replay, bench.

    literllm chat openai/gpt-4o "Say hello"         # live; the key from the environment
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
from typing import Any

__all__ = ["main"]


def _chunk_json(chunk: Any) -> str:
    import orjson

    return orjson.dumps(chunk.to_dict()).decode()


def _event_json(event: Any) -> str:
    import base64

    import orjson

    if isinstance(event, tuple):  # an SSE (event, data) pair
        return orjson.dumps({"event": event[0].decode("utf-8", "replace"),
                             "data": event[1].decode("utf-8", "replace")}).decode()
    headers = {
        name: value if isinstance(value, str | int | bool) else str(value)
        for name, value in event.headers.items()
    }
    try:
        payload: Any = orjson.loads(event.payload)
    except orjson.JSONDecodeError:
        payload = {"base64": base64.b64encode(event.payload).decode()}
    return orjson.dumps({"headers": headers, "payload": payload}).decode()


def _replay(args: argparse.Namespace) -> int:
    from ._replay import replay, replay_events

    split: int | tuple[str, int] | None = args.split
    if args.seed is not None:
        split = ("seed", args.seed)
    out = sys.stdout
    if args.events:
        for event in replay_events(args.file, args.provider, split=split):
            out.write(_event_json(event) + "\n")
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


async def _chat(args: argparse.Namespace) -> int:
    from .client import LlmClient

    async with LlmClient() as client, await client.chat_stream(
        args.model, [{"role": "user", "content": args.prompt}]
    ) as stream:
        async for chunk in stream:
            if args.json:
                sys.stdout.write(_chunk_json(chunk) + "\n")
            elif chunk.choices:
                sys.stdout.write(chunk.choices[0].delta.content or "")
            sys.stdout.flush()
    if not args.json:
        sys.stdout.write("\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="literllm", description="Stream from LLM providers; replay recorded streams."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = commands.add_parser("chat", help="stream a reply (key from the environment)",
                               description="Stream a reply live; prints the text as it comes.")
    chat.add_argument("model", help="provider/model, e.g. openai/gpt-4o")
    chat.add_argument("prompt", help="the user message")
    chat.add_argument("--json", action="store_true", help="one chunk per line, as JSON")

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
    args = _parser().parse_args(argv)
    from .errors import LiterLlmError

    try:
        if args.command == "replay":
            return _replay(args)
        return asyncio.run(_chat(args))
    except LiterLlmError as exc:
        sys.stdout.flush()
        print(f"literllm {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
