"""OpenAI's format on platforms whose URL names the caller's account or workspace.

- Cloudflare Workers AI: ``POST https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1/
  chat/completions``, a bearer API token (``CLOUDFLARE_API_TOKEN``, or the public registry's
  ``CLOUDFLARE_API_KEY``); the account id from ``provider_options={"cloudflare":
  {"account_id": ...}}`` or ``CLOUDFLARE_ACCOUNT_ID``.
- Azure AI Foundry (Azure AI Model Inference API): ``POST {endpoint}/chat/completions?
  api-version=2024-05-01-preview``, the model being the deployment's name, the key in
  ``api-key``; the endpoint (``https://<resource>.services.ai.azure.com/models``) from
  ``provider_options={"azure_ai": {"base_url": ...}}``, ``base_url=``, ``AZURE_AI_API_BASE``
  or ``AZURE_INFERENCE_ENDPOINT``; an endpoint of Foundry's OpenAI v1 API (``.../openai/v1``)
  takes no ``api-version``.
- IBM watsonx.ai: ``POST {url}/ml/v1/text/chat_stream?version=...`` (``/text/chat`` unstreamed)
  with the model as ``model_id`` and the ``project_id`` (or ``space_id``) in the body, an IBM
  Cloud API key (``WATSONX_APIKEY`` or ``WATSONX_API_KEY``) exchanged for an IAM token; the
  regional URL (``https://us-south.ml.cloud.ibm.com``) from ``provider_options``, ``base_url=``
  or ``WATSONX_URL``, the project from ``provider_options={"watsonx": {"project_id": ...}}`` or
  ``WATSONX_PROJECT_ID``.
- Databricks Model Serving: ``POST {workspace}/serving-endpoints/chat/completions``, the model
  name being the serving endpoint's; a personal access token (``DATABRICKS_TOKEN``); the
  workspace URL from ``provider_options={"databricks": {"base_url": ...}}`` (the workspace, or
  its ``/serving-endpoints``), ``base_url=`` or ``DATABRICKS_HOST``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import ConfigurationError
from ._auth import IBM_IAM_URL, IBMCloudIAM, KeyHeader
from ._base import join_url
from .openai import OpenAIChatAdapter

if TYPE_CHECKING:
    from ..types import Message, MessageParam
    from ._base import Auth

__all__ = ["AzureAIAdapter", "CloudflareAdapter", "DatabricksAdapter", "WatsonxAdapter"]

CLOUDFLARE_API = "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/v1"
AZURE_AI_API_VERSION = "2024-05-01-preview"  # the Azure AI Model Inference API's
WATSONX_API_VERSION = "2025-02-06"  # the date the requests were written against (IBM's docs)


class AzureAIAdapter(OpenAIChatAdapter):
    """OpenAI-shaped chat completions on an Azure AI Foundry resource."""

    __slots__ = ()
    option_names = frozenset({"api_version"})

    def url(
        self, model: str, base_url: str | None, options: Mapping[str, Any], stream: bool
    ) -> str:
        endpoint = (base_url or os.environ.get("AZURE_AI_API_BASE")
                    or os.environ.get("AZURE_INFERENCE_ENDPOINT"))
        if not endpoint:
            raise ConfigurationError(
                "Azure AI Foundry needs the resource's endpoint: provider_options={'azure_ai': "
                "{'base_url': 'https://<resource>.services.ai.azure.com/models'}}, base_url= or "
                "AZURE_AI_API_BASE",
                provider="azure_ai",
            )
        if endpoint.partition("?")[0].rstrip("/").endswith("/openai/v1"):
            return join_url(endpoint, self.path)
        version = options.get("api_version") or AZURE_AI_API_VERSION
        return join_url(endpoint, self.path, f"api-version={quote(str(version), safe='')}")

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        return KeyHeader("api-key", key) if key is not None else None


class CloudflareAdapter(OpenAIChatAdapter):
    """OpenAI chat completions on Cloudflare Workers AI."""

    __slots__ = ()
    option_names = frozenset({"account_id"})

    def url(
        self, model: str, base_url: str | None, options: Mapping[str, Any], stream: bool
    ) -> str:
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

    def url(
        self, model: str, base_url: str | None, options: Mapping[str, Any], stream: bool
    ) -> str:
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


class WatsonxAdapter(OpenAIChatAdapter):
    """OpenAI-shaped chat on IBM watsonx.ai (its chat API streams OpenAI-shaped chunks)."""

    __slots__ = ()
    option_names = frozenset({"project_id", "space_id", "api_version", "iam_url"})

    def url(
        self, model: str, base_url: str | None, options: Mapping[str, Any], stream: bool
    ) -> str:
        root = base_url or os.environ.get("WATSONX_URL")
        if not root:
            raise ConfigurationError(
                "watsonx needs its regional URL: provider_options={'watsonx': {'base_url': "
                "'https://us-south.ml.cloud.ibm.com'}}, base_url= or WATSONX_URL",
                provider="watsonx",
            )
        version = quote(str(options.get("api_version") or WATSONX_API_VERSION), safe="")
        path = "/ml/v1/text/chat_stream" if stream else "/ml/v1/text/chat"
        return join_url(root, path, f"version={version}")

    def request_body(  # noqa: PLR0917  (as OpenAIChatAdapter's)
        self,
        model: str,
        messages: Sequence[MessageParam | Message],
        params: Mapping[str, Any],
        extra_body: Mapping[str, Any],
        stream: bool,
        options: Mapping[str, Any],
    ) -> dict[str, Any]:
        project = options.get("project_id") or os.environ.get("WATSONX_PROJECT_ID")
        space = options.get("space_id") or os.environ.get("WATSONX_SPACE_ID")
        if not project and not space:
            raise ConfigurationError(
                "watsonx needs a project or space: provider_options={'watsonx': "
                "{'project_id': ...}} or WATSONX_PROJECT_ID (or space_id / WATSONX_SPACE_ID)",
                provider="watsonx",
            )
        body = super().request_body(model, messages, params, {}, stream, options)
        body["model_id"] = body.pop("model")
        body.pop("stream", None)  # the path says it; the API takes no such field
        body.pop("stream_options", None)
        if project:
            body["project_id"] = project
        else:
            body["space_id"] = space
        body.update(extra_body)
        return body

    def auth(self, key: str | None, options: Mapping[str, Any]) -> Auth | None:
        if key is None:
            return None
        return IBMCloudIAM(key, str(options.get("iam_url") or IBM_IAM_URL))
