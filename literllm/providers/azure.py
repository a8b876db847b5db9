"""Azure OpenAI: the OpenAI wire format on a deployment's URL.

``POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`` with
the key in ``api-key``, as the official ``AzureOpenAI`` client sends it. The model name after
``azure/`` is the deployment. The endpoint comes from ``base_url=``,
``provider_options={"azure": {"base_url": ...}}`` or ``AZURE_OPENAI_ENDPOINT``; the API version
from ``provider_options={"azure": {"api_version": ...}}``, ``OPENAI_API_VERSION`` or the
default below.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import ConfigurationError
from ._auth import KeyHeader
from ._base import join_url
from .openai import OpenAIChatAdapter

if TYPE_CHECKING:
    from ._base import Auth

__all__ = ["DEFAULT_API_VERSION", "AzureOpenAIAdapter"]

DEFAULT_API_VERSION = "2024-10-21"  # the latest GA data-plane version when this was written


class AzureOpenAIAdapter(OpenAIChatAdapter):
    """OpenAI chat completions on an Azure OpenAI resource."""

    __slots__ = ()
    option_names = frozenset({"api_version"})

    def url(
        self, model: str, base_url: str | None, options: Mapping[str, Any], stream: bool
    ) -> str:
        endpoint = base_url or options.get("base_url") or os.environ.get("AZURE_OPENAI_ENDPOINT")
        if not endpoint:
            raise ConfigurationError(
                "Azure OpenAI needs the resource's endpoint: base_url=, "
                "provider_options={'azure': {'base_url': ...}} or AZURE_OPENAI_ENDPOINT",
                provider="azure",
            )
        version = (options.get("api_version") or os.environ.get("OPENAI_API_VERSION")
                   or DEFAULT_API_VERSION)
        path = f"/openai/deployments/{quote(model, safe='')}/chat/completions"
        return join_url(str(endpoint), path, f"api-version={quote(str(version), safe='')}")

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        return KeyHeader("api-key", key) if key is not None else None
