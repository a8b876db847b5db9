"""The OpenAI-compatible providers, as data: one row each (the README's table is tested
against it).

Each row: the prefix, the base URL (``{base_url}/chat/completions``), the key variable (the
provider's own first, the public registry's after it when they differ), whether
``stream_options.include_usage`` is accepted, whether it is a local server (no key needed),
other names it answers to, request parameters it takes under another name, the variables
its official SDK reads a base URL from, and where its facts were checked.

Facts come from each provider's own documentation; where the public registry
(``../shared/registry/chat_providers.tsv``, generated from LiteLLM's list) disagrees, the
docs win and ``note`` says so.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LEFT_OUT", "OPENAI_COMPATIBLE", "OpenAICompatible"]


class OpenAICompatible(NamedTuple):
    name: str
    base_url: str  # "" : OpenAI's format at a server of the caller's (base_url= required)
    key_env: str | None
    also_key_env: tuple[str, ...] = ()
    stream_usage: bool = False
    local: bool = False
    aliases: tuple[str, ...] = ()
    renames: tuple[tuple[str, str], ...] = ()
    base_url_env: tuple[str, ...] = ()
    note: str = ""


OPENAI_COMPATIBLE: tuple[OpenAICompatible, ...] = (
    OpenAICompatible("openai", "https://api.openai.com/v1", "OPENAI_API_KEY",
                     stream_usage=True, base_url_env=("OPENAI_BASE_URL",)),
    OpenAICompatible("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY",
                     stream_usage=True, base_url_env=("GROQ_BASE_URL",)),
    OpenAICompatible("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY"),
    OpenAICompatible("deepseek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY",
                     stream_usage=True),
    OpenAICompatible("together_ai", "https://api.together.xyz/v1", "TOGETHER_API_KEY",
                     also_key_env=("TOGETHER_AI_API_KEY",), stream_usage=True,
                     aliases=("together",)),
    OpenAICompatible("fireworks_ai", "https://api.fireworks.ai/inference/v1",
                     "FIREWORKS_API_KEY", also_key_env=("FIREWORKS_AI_API_KEY",),
                     stream_usage=True, aliases=("fireworks",)),
    OpenAICompatible("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY",
                     stream_usage=True),
    OpenAICompatible("perplexity", "https://api.perplexity.ai", "PERPLEXITY_API_KEY",
                     also_key_env=("PERPLEXITYAI_API_KEY",)),
    OpenAICompatible("xai", "https://api.x.ai/v1", "XAI_API_KEY", stream_usage=True),
    OpenAICompatible("cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY"),
    OpenAICompatible("deepinfra", "https://api.deepinfra.com/v1/openai", "DEEPINFRA_API_KEY",
                     stream_usage=True),
    OpenAICompatible("nvidia_nim", "https://integrate.api.nvidia.com/v1",
                     "NVIDIA_NIM_API_KEY", stream_usage=True),
    OpenAICompatible("sambanova", "https://api.sambanova.ai/v1", "SAMBANOVA_API_KEY"),
    OpenAICompatible("baseten", "https://inference.baseten.co/v1", "BASETEN_API_KEY",
                     note="docs.baseten.co: Model APIs (a dedicated deployment: its own "
                     "base_url)"),
    OpenAICompatible("hyperbolic", "https://api.hyperbolic.xyz/v1", "HYPERBOLIC_API_KEY",
                     note="checked in LiteLLM's and a gateway's docs, not Hyperbolic's own"),
    OpenAICompatible("moonshot", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY",
                     aliases=("kimi",),
                     note="platform.moonshot.ai (China: https://api.moonshot.cn/v1 as base_url)"),
    OpenAICompatible("nebius", "https://api.tokenfactory.nebius.com/v1", "NEBIUS_API_KEY",
                     note="Nebius Token Factory; the registry's api.studio.nebius.ai is the "
                     "former AI Studio host"),
    OpenAICompatible("huggingface", "https://router.huggingface.co/v1", "HF_TOKEN",
                     also_key_env=("HUGGINGFACE_API_KEY",), aliases=("hf",),
                     note="Inference Providers router; HF_TOKEN is Hugging Face's own variable"),
    OpenAICompatible("dashscope", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
                     "DASHSCOPE_API_KEY",
                     note="Model Studio compatible mode (mainland China: "
                     "https://dashscope.aliyuncs.com/compatible-mode/v1 as base_url)"),
    OpenAICompatible("github", "https://models.github.ai/inference", "GITHUB_TOKEN",
                     also_key_env=("GITHUB_API_KEY",), aliases=("github_models",),
                     note="docs.github.com: GitHub Models; the registry's "
                     "models.inference.ai.azure.com is the former host"),
    OpenAICompatible("codestral", "https://codestral.mistral.ai/v1", "CODESTRAL_API_KEY",
                     note="Mistral's Codestral endpoint, with its own key (a La Plateforme key "
                     "goes to mistral/)"),
    OpenAICompatible("minimax", "https://api.minimax.io/v1", "MINIMAX_API_KEY",
                     note="platform.minimax.io (China: https://api.minimaxi.com/v1 as base_url)"),
    OpenAICompatible("scaleway", "https://api.scaleway.ai/v1", "SCW_SECRET_KEY",
                     note="scaleway.com Generative APIs (a dedicated deployment: its own "
                     "base_url)"),
    OpenAICompatible("venice", "https://api.venice.ai/api/v1", "VENICE_API_KEY",
                     note="docs.venice.ai"),
    OpenAICompatible("featherless_ai", "https://api.featherless.ai/v1", "FEATHERLESS_API_KEY",
                     also_key_env=("FEATHERLESS_AI_API_KEY",), aliases=("featherless",),
                     note="featherless.ai docs"),
    OpenAICompatible("vercel_ai_gateway", "https://ai-gateway.vercel.sh/v1", "AI_GATEWAY_API_KEY",
                     also_key_env=("VERCEL_AI_GATEWAY_API_KEY",), aliases=("vercel",),
                     note="vercel.com AI Gateway docs (AI_GATEWAY_API_KEY is Vercel's own)"),
    OpenAICompatible("zai", "https://api.z.ai/api/paas/v4", "ZAI_API_KEY",
                     note="docs.z.ai (the GLM Coding Plan's own endpoint: "
                     "https://api.z.ai/api/coding/paas/v4 as base_url)"),
    # Servers of one's own, no key needed.
    OpenAICompatible("ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY",
                     stream_usage=True, local=True),
    OpenAICompatible("vllm", "http://localhost:8000/v1", "VLLM_API_KEY", stream_usage=True,
                     local=True),
    OpenAICompatible("lm_studio", "http://localhost:1234/v1", "LM_STUDIO_API_KEY",
                     local=True, aliases=("lmstudio",)),
    OpenAICompatible("llamafile", "http://localhost:8080/v1", "LLAMAFILE_API_KEY", local=True),
    OpenAICompatible("llamacpp", "http://localhost:8080/v1", None, local=True,
                     aliases=("llama_cpp",), note="llama.cpp's llama-server, default port"),
    OpenAICompatible("localai", "http://localhost:8080/v1", None, local=True,
                     note="LocalAI, default port"),
    # OpenAI's format at a URL the caller gives (base_url= or provider_options).
    OpenAICompatible("hosted_vllm", "", "HOSTED_VLLM_API_KEY", stream_usage=True, local=True),
    OpenAICompatible("litellm_proxy", "", "LITELLM_PROXY_API_KEY", stream_usage=True,
                     local=True),
    OpenAICompatible("custom_openai", "", None, local=True),
)

# The public registry's chat providers that are not OpenAI chat-completions streams, and why.
LEFT_OUT: dict[str, str] = {
    "assemblyai": "a speech API",
    "deepgram": "a speech API",
    "elevenlabs": "a speech API",
    "fal_ai": "an image API",
    "bytez": "its own API, not chat completions",
    "nlp_cloud": "its own API, not chat completions",
    "predibase": "its own API, not chat completions",
    "replicate": "its own predictions API",
    "langgraph": "an agent server, not a chat API",
    "datarobot": "a URL per deployment: use hosted_vllm/ or custom_openai/ with its base_url",
    "gigachat": "an OAuth token exchange of its own, not yet built",
    "lambda_ai": "Lambda's Inference API has been shut down, says docs.lambda.ai",
}
