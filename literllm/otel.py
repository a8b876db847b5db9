"""``OpenTelemetryHooks``: spans and metrics after the OpenTelemetry GenAI semantic
conventions (``gen_ai.*``, the latest experimental version), from literllm's hooks.

    from literllm.otel import OpenTelemetryHooks

    client = LlmClient(hooks=[OpenTelemetryHooks()])

``pip install 'literllm[otel]'`` (``opentelemetry-api`` only: the application brings the SDK
and its exporters; without one configured, everything here is a no-op of the API).

- One span per request sent (each retry and fallback is its own), ``chat {model}``, kind
  CLIENT, with ``gen_ai.operation.name``, ``gen_ai.provider.name`` (and the older
  ``gen_ai.system`` while the conventions move), ``gen_ai.request.model``,
  ``gen_ai.response.model``, ``gen_ai.response.id``, ``gen_ai.response.finish_reasons``,
  ``gen_ai.usage.input_tokens``, ``gen_ai.usage.output_tokens``, ``server.address``,
  ``server.port`` and, on failure, ``error.type`` with an error status.
- Message content (``gen_ai.input.messages``, ``gen_ai.output.messages``) only with
  ``capture_content=True``: it can hold personal data.
- Histograms: ``gen_ai.client.operation.duration``, ``gen_ai.client.token.usage`` (by
  ``gen_ai.token.type``), ``gen_ai.client.operation.time_to_first_chunk`` and
  ``gen_ai.client.operation.time_per_output_chunk``. The conventions record the last one for
  every chunk after the first; literllm reads no clock per chunk, so it records each
  stream's mean once, at its end.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._version import __version__

if TYPE_CHECKING:
    from ._stats import RequestInfo, StreamStats

__all__ = ["OpenTelemetryHooks"]

# literllm's provider names where the conventions have a well-known value of their own.
PROVIDER_NAMES = {
    "bedrock": "aws.bedrock",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "azure": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "mistral": "mistral_ai",
    "xai": "x_ai",
    "watsonx": "ibm.watsonx.ai",
}
_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24,
                     20.48, 40.96, 81.92]
_TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                  16777216, 67108864]
_CHUNK_BUCKETS = [0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5]


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider)


class OpenTelemetryHooks:
    """Hooks that trace and measure every request (see the module's docs).

    ``tracer_provider`` / ``meter_provider``: the providers to use (default: the global ones).
    """

    def __init__(
        self,
        *,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        capture_content: bool = False,
    ) -> None:
        try:
            from opentelemetry import metrics, trace
        except ImportError:
            from .errors import ConfigurationError

            raise ConfigurationError(
                "OpenTelemetryHooks needs opentelemetry-api: pip install 'literllm[otel]'"
            ) from None
        self._trace = trace
        self._tracer = trace.get_tracer(
            "literllm", __version__, tracer_provider=tracer_provider
        )
        meter = metrics.get_meter("literllm", __version__, meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._tokens = meter.create_histogram(
            "gen_ai.client.token.usage", unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=_TOKEN_BUCKETS,
        )
        self._first_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_to_first_chunk", unit="s",
            description="Time to receive the first chunk in a streaming operation",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self._per_chunk = meter.create_histogram(
            "gen_ai.client.operation.time_per_output_chunk", unit="s",
            description="Time per output chunk after the first, a stream's mean",
            explicit_bucket_boundaries_advisory=_CHUNK_BUCKETS,
        )
        self.capture_content = capture_content
        self._spans: dict[RequestInfo, Any] = {}
        self._lock = threading.Lock()  # one hook object may serve clients on several loops

    def __repr__(self) -> str:
        return f"OpenTelemetryHooks(capture_content={self.capture_content})"

    def on_request(self, info: RequestInfo) -> None:
        attributes = self._common(info)
        if self.capture_content:
            attributes["gen_ai.input.messages"] = _as_json(info.messages)
        for name, key in (("temperature", "gen_ai.request.temperature"),
                          ("top_p", "gen_ai.request.top_p"),
                          ("max_tokens", "gen_ai.request.max_tokens"),
                          ("max_completion_tokens", "gen_ai.request.max_tokens"),
                          ("seed", "gen_ai.request.seed")):
            value = info.params.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                attributes[key] = value
        span = self._tracer.start_span(
            f"chat {info.model}", kind=self._trace.SpanKind.CLIENT, attributes=attributes
        )
        with self._lock:
            self._spans[info] = span

    def on_end(self, stats: StreamStats) -> None:
        self._finish(stats, None)

    def on_error(self, stats: StreamStats, error: BaseException) -> None:
        self._finish(stats, error)

    def _finish(self, stats: StreamStats, error: BaseException | None) -> None:
        info = stats.request
        if info is None:
            return
        with self._lock:
            span = self._spans.pop(info, None)
        common = self._common(info)
        metric_attributes = dict(common)
        completion = stats.completion
        response: dict[str, Any] = {}
        if completion is not None:
            if completion.model:
                response["gen_ai.response.model"] = completion.model
            if completion.id:
                response["gen_ai.response.id"] = completion.id
            reasons = [c.finish_reason for c in completion.choices if c.finish_reason]
            if reasons:
                response["gen_ai.response.finish_reasons"] = reasons
        usage = stats.usage
        if usage is not None:
            response["gen_ai.usage.input_tokens"] = usage.prompt_tokens
            response["gen_ai.usage.output_tokens"] = usage.completion_tokens
        if error is not None:
            metric_attributes["error.type"] = type(error).__qualname__
        if "gen_ai.response.model" in response:
            metric_attributes["gen_ai.response.model"] = response["gen_ai.response.model"]
        if span is not None:
            span.set_attributes(response)
            if self.capture_content and completion is not None and error is None:
                span.set_attribute("gen_ai.output.messages", _as_json([
                    {"role": c.message.role, "content": c.message.content,
                     "finish_reason": c.finish_reason} for c in completion.choices
                ]))
            if error is not None:
                from opentelemetry.trace import Status, StatusCode

                span.set_attribute("error.type", type(error).__qualname__)
                span.set_status(Status(StatusCode.ERROR, str(error)))
            span.end()
        elapsed = stats.duration
        if elapsed is None:
            last = stats.attempts[-1] if stats.attempts else None
            elapsed = last.duration if last is not None else None
        if elapsed is not None:
            self._duration.record(elapsed, metric_attributes)
        if usage is not None:
            self._tokens.record(usage.prompt_tokens,
                                {**metric_attributes, "gen_ai.token.type": "input"})
            self._tokens.record(usage.completion_tokens,
                                {**metric_attributes, "gen_ai.token.type": "output"})
        if info.stream and stats.time_to_first_chunk is not None:
            self._first_chunk.record(stats.time_to_first_chunk, metric_attributes)
            if stats.duration is not None and stats.chunks > 1:
                mean = (stats.duration - stats.time_to_first_chunk) / (stats.chunks - 1)
                self._per_chunk.record(max(mean, 0.0), metric_attributes)

    @staticmethod
    def _common(info: RequestInfo) -> dict[str, Any]:
        name = provider_name(info.provider)
        parts = urlsplit(info.url)
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": name,
            "gen_ai.system": name,
            "gen_ai.request.model": info.model,
        }
        if parts.hostname:
            attributes["server.address"] = parts.hostname
            attributes["server.port"] = parts.port or (443 if parts.scheme == "https" else 80)
        return attributes


def _as_json(value: Any) -> str:
    def plain(item: Any) -> Any:
        to_dict = getattr(item, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        if isinstance(item, Mapping):
            return {str(k): plain(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [plain(v) for v in item]
        return item

    return json.dumps(plain(value), ensure_ascii=False, default=str)
