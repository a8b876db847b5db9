"""``cost()``: what a reply cost in USD, from its usage, with pydantic's ``genai-prices``.

Cached input tokens and cache writes are priced at their own rates (``prompt_tokens`` holds
every input token, cached ones included, as OpenAI counts: so does genai-prices). A model
genai-prices does not know costs ``None``: never a guess. Without ``literllm[cost]`` every
cost is ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import Usage

__all__ = ["cost"]

# literllm's provider names where genai-prices names the same provider otherwise.
_PRICES_PROVIDER = {
    "vertex_ai": "google",
    "gemini": "google",
    "bedrock": "aws",
    "azure": "azure",
    "mistral": "mistral",
    "together_ai": "together",
    "fireworks_ai": "fireworks",
}


def _detail(details: Mapping[str, Any] | None, *names: str) -> int:
    if not details:
        return 0
    for name in names:
        value = details.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


def cost(usage: Usage | None, *, model: str, provider: str | None = None) -> float | None:
    """USD for ``usage`` of ``model`` (at ``provider``, a literllm provider name or a
    genai-prices one); ``None`` for no usage, an unknown model, or without genai-prices."""
    if usage is None:
        return None
    cached = _detail(usage.prompt_tokens_details, "cached_tokens")
    written = _detail(usage.prompt_tokens_details, "cache_creation_tokens", "cache_write_tokens")
    return _price(
        model, provider, usage.prompt_tokens, usage.completion_tokens, cached=cached,
        written=written,
    )


@lru_cache(maxsize=4096)
def _price(
    model: str, provider: str | None, input_tokens: int, output_tokens: int, *, cached: int,
    written: int,
) -> float | None:
    try:
        import genai_prices
    except ImportError:
        return None
    usage = genai_prices.Usage(
        input_tokens=input_tokens, output_tokens=output_tokens,
        cache_read_tokens=cached or None, cache_write_tokens=written or None,
    )
    for provider_id in _candidates(model, provider):
        try:
            priced = genai_prices.calc_price(usage, model, provider_id=provider_id)
        except LookupError:
            continue
        return float(priced.total_price)
    return None


def _candidates(model: str, provider: str | None) -> list[str | None]:
    """The provider ids to look ``model`` up under: literllm's name mapped, as it is, and
    none (genai-prices then matches the model alone) only for a provider it has no
    entry for."""
    if provider is None:
        return [None]
    mapped = _PRICES_PROVIDER.get(provider, provider)
    return [mapped] if mapped == provider else [mapped, provider]
