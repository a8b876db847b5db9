"""A small user program that mypy --strict --warn-unused-ignores checks (tests/test_typing.py).

Every ``# type: ignore[...]`` below marks a mistake mypy must catch: were it not caught, the
ignore would be unused and --warn-unused-ignores would fail the check.
"""

from __future__ import annotations

import asyncio

import pydantic

from literllm import ChatCompletion, LlmClient, SyncLlmClient
from literllm.types import AssistantMessageParam, MessageParam, ToolParam

WEATHER: ToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


async def conversation(client: LlmClient) -> ChatCompletion:
    history: list[MessageParam] = [
        {"role": "system", "content": "You are terse."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture, and the weather in Oslo?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            ],
        },
    ]
    reply = await client.chat(
        "openai/gpt-4o",
        history,
        tools=[WEATHER],
        tool_choice="auto",
        reasoning_effort="low",
        response_format={"type": "json_object"},
        temperature=0.2,
    )
    message = reply.choices[0].message
    turn: AssistantMessageParam = message.to_dict()
    for call in message.tool_calls or ():
        history.append(turn)
        history.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
    # A reply sent back as the next turn, as it is.
    return await client.chat("openai/gpt-4o", [*history, message, {"role": "user", "content": "ok"}])


async def streaming(client: LlmClient) -> str:
    parts: list[str] = []
    async with await client.chat_stream(
        "openai/gpt-4o", [{"role": "user", "content": "hi"}], max_tokens=5
    ) as stream:
        async for chunk in stream:
            if chunk.choices:
                parts.append(chunk.choices[0].delta.content or "")
    return "".join(parts)


async def mistakes(client: LlmClient) -> None:
    await client.chat("openai/gpt-4o", [{"role": "usr", "content": "hi"}])  # type: ignore[list-item]
    await client.chat("openai/gpt-4o", [{"content": "no role"}])  # type: ignore[list-item]
    await client.chat("openai/gpt-4o", [], reasoning_effort="hgih")  # type: ignore[arg-type]
    await client.chat("openai/gpt-4o", [], tool_choice="sometimes")  # type: ignore[arg-type]
    await client.chat("openai/gpt-4o", [], temprature=0.2)  # type: ignore[call-arg]
    await client.chat(
        "openai/gpt-4o",
        [{"role": "user", "content": [{"type": "image", "url": "x"}]}],  # type: ignore[list-item]
    )
    await client.chat(
        "openai/gpt-4o",
        [{"role": "tool", "content": "result"}],  # type: ignore[list-item]
    )


class Person(pydantic.BaseModel):
    name: str


async def structured(client: LlmClient) -> Person | None:
    stream = await client.chat_stream("openai/gpt-4o", [], response_format=Person)
    call = stream.accumulated.choices[0].message.tool_calls
    if call:
        print(call[0].function.parsed_arguments)
    parsed = (await stream.final()).choices[0].message.parsed
    return parsed if isinstance(parsed, Person) else None


async def structured_mistakes(client: LlmClient) -> None:
    await client.chat("openai/gpt-4o", [], response_format=Person(name="x"))  # type: ignore[arg-type]
    await client.chat("openai/gpt-4o", [], response_format=int)  # type: ignore[arg-type]


def sync_client() -> str:
    with SyncLlmClient(api_key="x", timeout=3, max_retries=1) as client:
        stream = client.chat_stream("openai/gpt-4o", [{"role": "user", "content": "hi"}])
        return stream.final().choices[0].message.content or ""


def sync_mistakes() -> None:
    SyncLlmClient(api_kye="x")  # type: ignore[call-arg]
    SyncLlmClient(timout=3)  # type: ignore[call-arg]
    SyncLlmClient(max_retries="2")  # type: ignore[arg-type]


if __name__ == "__main__":
    asyncio.run(streaming(LlmClient()))
