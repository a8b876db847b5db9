"""Write a seed corpus for each fuzz target from literllm's own stream builders."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from literllm.testing import WIRE_FORMATS, ScriptedReply, random_reply


def main(root: Path) -> None:
    replies = [random_reply(seed) for seed in range(6)] + [ScriptedReply(text=["a", "b"])]
    targets: dict[str, list[bytes]] = {
        "sse": [], "eventstream": [], "ndjson": [], "openai_stream": [],
    }
    for number, reply in enumerate(replies):
        for name in ("openai", "anthropic", "gemini", "cohere", "openai_responses"):
            body = WIRE_FORMATS[name].stream_body(reply)[:4000]
            targets["sse"].append(bytes([number % 8]) + body)
            selector = {"openai": 0, "cohere": 3, "gemini": 4, "openai_responses": 6}.get(name, 1)
            targets["openai_stream"].append(bytes([selector]) + body)
        if "ollama" in WIRE_FORMATS:
            targets["ndjson"].append(b"\x40" + WIRE_FORMATS["ollama"].stream_body(reply)[:4000])
            targets["openai_stream"].append(
                b"\x05" + WIRE_FORMATS["ollama"].stream_body(reply)[:4000])
        # Gemini's API writes a space after each colon (the local server writes compact JSON).
        spaced = b"".join(
            b"data: " + json.dumps(json.loads(event.split(b"data: ", 1)[1]),
                                   separators=(",", ": "), ensure_ascii=False).encode()
            + b"\r\n\r\n"
            for event in WIRE_FORMATS["gemini"].split_events(
                WIRE_FORMATS["gemini"].stream_body(reply))
        )
        targets["openai_stream"].append(b"\x04" + spaced[:4000])
        targets["ndjson"].append(b"\x10" + b'{"a":1}\r\n\n[2]\n{"b":')
        frames = WIRE_FORMATS["bedrock"].stream_body(reply)[:4000]
        targets["eventstream"].append(b"\x00" + frames)
        targets["openai_stream"].append(b"\x02" + frames)
    for target, seeds in targets.items():
        folder = root / target
        folder.mkdir(parents=True, exist_ok=True)
        for number, seed in enumerate(seeds):
            (folder / f"seed-{number:03d}").write_bytes(seed)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
