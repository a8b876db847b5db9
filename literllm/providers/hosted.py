"""OpenAI's format on platforms whose URL names the caller's account or workspace.

- Cloudflare Workers AI: ``POST https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1/
  chat/completions``, a bearer API token (``CLOUDFLARE_API_TOKEN``, or the public registry's
  ``CLOUDFLARE_API_KEY``); the account id from ``provider_options={"cloudflare":
  {"account_id": ...}}`` or ``CLOUDFLARE_ACCOUNT_ID``.
- Databricks Model Serving: ``POST {workspace}/serving-endpoints/chat/completions``, the model
  name being the serving endpoint's; a personal access token (``DATABRICKS_TOKEN``); the
  workspace URL from ``provider_options={"databricks": {"base_url": ...}}`` (the workspace, or
  its ``/serving-endpoints``), ``base_url=`` or ``DATABRICKS_HOST``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from ..errors import ConfigurationError
from ._base import join_url
from .openai import OpenAIChatAdapter

__all__ = ["CloudflareAdapter", "DatabricksAdapter"]

CLOUDFLARE_API = "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1"


class CloudflareAdapter(OpenAIChatAdapter):
    """OpenAI chat completions on Cloudflare Workers AI."""

    __slots__ = ()
    option_names = frozenset({"account_id"})

    def url(self, model: str, base_url: str | None, options: Mapping[str, Any]) -> str:
        if base_url:
            return join_url(base_url, self.path)
        account = options.get("account_id") or os.environ.get("CLOUDFLARE_ACCOUNT_ID")
        if not account:
            raise ConfigurationError(
                "Cloudflare Workers AI needs the account id: provider_options={'cloudflare': "
                "{'account_id': ...}} or CLOUDFLARE_ACCOUNT_ID",
                provider="cloudflare",
            )
        return join_url(CLOUDFLARE_API.format(account_id=quote(str(account), safe="")),
                        self.path)


class DatabricksAdapter(OpenAIChatAdapter):
    """OpenAI chat completions on a Databricks workspace's serving endpoints."""

    __slots__ = ()

    def url(self, model: str, base_url: str | None, options: Mapping[str, Any]) -> str:
        workspace = base_url or os.environ.get("DATABRICKS_HOST")
        if not workspace:
            raise ConfigurationError(
                "Databricks needs the workspace URL: provider_options={'databricks': "
                "{'base_url': 'https://<workspace>.cloud.databricks.com'}}, base_url= or "
                "DATABRICKS_HOST",
                provider="databricks",
            )
        if not workspace.startswith(("http://", "https://")):
            workspace = "https://" + workspace  # DATABRICKS_HOST is often the bare host
        root, _, query = workspace.partition("?")
        root = root.rstrip("/")
        if not root.endswith("/serving-endpoints"):
            root += "/serving-endpoints"
        return join_url(root + (f"?{query}" if query else ""), self.path)
