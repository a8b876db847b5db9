"""``Cooldown``: skip a provider that keeps failing, for a while (LiteLLM's cooldowns).

Opt in with ``LlmClient(cooldown=Cooldown(...))``. A failure that would fall back (a
connection error, a timeout, 408, 429, 5xx, an in-band overload or rate limit) counts
against its provider; ``failures`` of them within ``within`` seconds cool the provider down
for ``skip_for`` seconds, during which a call skips it for its next fallback. A call's last
model is always tried, cooling or not: a call never fails without sending anything.
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass

__all__ = ["Cooldown", "Cooldowns"]


@dataclass(frozen=True, slots=True)
class Cooldown:
    failures: int = 3
    """Failures of one provider ..."""
    within: float = 60.0
    """... within this many seconds ..."""
    skip_for: float = 30.0
    """... skip it for this many seconds."""

    def __post_init__(self) -> None:
        from .errors import ConfigurationError

        if isinstance(self.failures, bool) or not isinstance(self.failures, int) or (
            self.failures < 1
        ):
            raise ConfigurationError("Cooldown.failures must be a whole number, 1 or more")
        for name in ("within", "skip_for"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
                raise ConfigurationError(f"Cooldown.{name} must be a positive number of seconds")


class Cooldowns:
    """The failures and cool-downs of a client's providers."""

    __slots__ = ("_clock", "_config", "_failures", "_until")

    def __init__(self, config: Cooldown) -> None:
        self._config = config
        self._clock = time.monotonic
        self._failures: dict[str, collections.deque[float]] = {}
        self._until: dict[str, float] = {}

    def failed(self, provider: str) -> None:
        now = self._clock()
        config = self._config
        recent = self._failures.setdefault(provider, collections.deque())
        recent.append(now)
        while recent and recent[0] <= now - config.within:
            recent.popleft()
        if len(recent) >= config.failures:
            self._until[provider] = now + config.skip_for
            recent.clear()

    def cooling(self, provider: str) -> bool:
        until = self._until.get(provider)
        if until is None:
            return False
        if self._clock() < until:
            return True
        del self._until[provider]
        return False
