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
    OpenAICompatible("ai21", "https://api.ai21.com/studio/v1", "AI21_API_KEY",
                     aliases=("ai21_chat",), note="docs.ai21.com: Jamba chat completions"),
    OpenAICompatible("aihubmix", "https://aihubmix.com/v1", "AIHUBMIX_API_KEY",
                     note="docs.aihubmix.com"),
    OpenAICompatible("aiml", "https://api.aimlapi.com/v1", "AIML_API_KEY",
                     note="docs.aimlapi.com"),
    OpenAICompatible("chutes", "https://llm.chutes.ai/v1", "CHUTES_API_KEY",
                     note="chutes.ai: the shared OpenAI-compatible gateway"),
    OpenAICompatible("clarifai", "https://api.clarifai.com/v2/ext/openai/v1", "CLARIFAI_PAT",
                     also_key_env=("CLARIFAI_API_KEY",),
                     note="the AI SDK's Clarifai page (the model is a full clarifai.com model "
                     "URL); the registry's bare api.clarifai.com is not the OpenAI route"),
    OpenAICompatible("cometapi", "https://api.cometapi.com/v1", "COMETAPI_KEY",
                     also_key_env=("COMETAPI_API_KEY",),
                     note="apidoc.cometapi.com (COMETAPI_KEY is CometAPI's own)"),
    OpenAICompatible("friendliai", "https://api.friendli.ai/serverless/v1", "FRIENDLI_TOKEN",
                     aliases=("friendli",),
                     note="friendli.ai docs: serverless endpoints; the registry's "
                     "inference.friendli.ai/v1 is the former host"),
    OpenAICompatible("galadriel", "https://api.galadriel.com/v1", "GALADRIEL_API_KEY",
                     stream_usage=True, note="docs.galadriel.com"),
    OpenAICompatible("gmi", "https://api.gmi-serving.com/v1", "GMI_API_KEY",
                     aliases=("gmicloud",),
                     note="docs.gmicloud.ai; the registry's inference.gmicloud.ai differs"),
    OpenAICompatible("gradient_ai", "https://inference.do-ai.run/v1", "GRADIENT_AI_API_KEY",
                     aliases=("digitalocean",),
                     note="docs.digitalocean.com: serverless inference with a model access "
                     "key; the registry's URL lacks /v1"),
    OpenAICompatible("helicone", "https://ai-gateway.helicone.ai", "HELICONE_API_KEY",
                     note="Helicone's AI Gateway docs; the registry's gateway.helicone.ai is "
                     "the older gateway that needs a Helicone-Target-Url header"),
    OpenAICompatible("heroku", "https://us.inference.heroku.com/v1", "INFERENCE_KEY",
                     also_key_env=("HEROKU_API_KEY",),
                     note="devcenter.heroku.com: Managed Inference (INFERENCE_KEY is the "
                     "add-on's config var)"),
    OpenAICompatible("inception", "https://api.inceptionlabs.ai/v1", "INCEPTION_API_KEY",
                     note="checked in LiteLLM's and Agno's docs, not Inception's own"),
    OpenAICompatible("libertai", "https://api.libertai.io/v1", "LIBERTAI_API_KEY",
                     note="docs.libertai.io"),
    OpenAICompatible("maritalk", "https://chat.maritaca.ai/api", "MARITALK_API_KEY",
                     aliases=("maritaca",), note="docs.maritaca.ai"),
    OpenAICompatible("meta_llama", "https://api.llama.com/compat/v1", "LLAMA_API_KEY",
                     note="Meta's Llama API compatibility endpoint; its docs pages render "
                     "only in a browser, so checked in two SDKs' defaults"),
    OpenAICompatible("modelscope", "https://api-inference.modelscope.cn/v1",
                     "MODELSCOPE_API_KEY", note="ModelScope API-Inference docs"),
    OpenAICompatible("morph", "https://api.morphllm.com/v1", "MORPH_API_KEY",
                     note="docs.morphllm.com"),
    OpenAICompatible("nanogpt", "https://nano-gpt.com/api/v1", "NANOGPT_API_KEY",
                     note="docs.nano-gpt.com"),
    OpenAICompatible("novita", "https://api.novita.ai/v3/openai", "NOVITA_API_KEY",
                     note="novita.ai docs: LLM API"),
    OpenAICompatible("nscale", "https://inference.api.nscale.com/v1", "NSCALE_SERVICE_TOKEN",
                     also_key_env=("NSCALE_API_KEY",), stream_usage=True,
                     note="docs.nscale.com (a service token, NSCALE_SERVICE_TOKEN in its "
                     "examples)"),
    OpenAICompatible("opencode", "https://opencode.ai/zen/v1", "OPENCODE_API_KEY",
                     note="OpenCode Zen; checked in two gateways' docs, not OpenCode's own"),
    OpenAICompatible("opencode-go", "https://opencode.ai/zen/go/v1", "OPENCODE_API_KEY",
                     note="OpenCode Go (subscription); as opencode"),
    OpenAICompatible("ovhcloud", "https://oai.endpoints.kepler.ai.cloud.ovh.net/v1",
                     "OVH_AI_ENDPOINTS_ACCESS_TOKEN", also_key_env=("OVH_API_KEY",),
                     aliases=("ovh",), note="ovhcloud.com AI Endpoints (the unified endpoint)"),
    OpenAICompatible("parasail", "https://api.parasail.io/v1", "PARASAIL_API_KEY",
                     note="checked in Parasail's published OpenAPI description and a "
                     "gateway's docs"),
    OpenAICompatible("poe", "https://api.poe.com/v1", "POE_API_KEY",
                     note="creator.poe.com: OpenAI-compatible API; the registry's "
                     "api.poe.com/bot is the bot protocol"),
    OpenAICompatible("sarvam", "https://api.sarvam.ai/v1", "SARVAM_API_KEY",
                     renames=(("max_completion_tokens", "max_tokens"),),
                     note="docs.sarvam.ai (takes max_tokens)"),
    OpenAICompatible("synthetic", "https://api.synthetic.new/openai/v1", "SYNTHETIC_API_KEY",
                     stream_usage=True,
                     note="dev.synthetic.new (takes max_completion_tokens itself)"),
    OpenAICompatible("tencent", "https://tokenhub-intl.tencentcloudmaas.com/v1",
                     "TENCENT_API_KEY", stream_usage=True, aliases=("tokenhub",),
                     note="tencentcloud.com TokenHub, Singapore (Guangzhou: "
                     "https://tokenhub.tencentcloudmaas.com/v1 as base_url)"),
    OpenAICompatible("v0", "https://api.v0.dev/v1", "V0_API_KEY",
                     note="vercel.com/docs/v0/api"),
    OpenAICompatible("volcengine", "https://ark.cn-beijing.volces.com/api/v3", "ARK_API_KEY",
                     also_key_env=("VOLCENGINE_API_KEY",), aliases=("ark", "doubao"),
                     note="volcengine.com Ark docs (ARK_API_KEY is the Ark SDK's own)"),
    OpenAICompatible("wandb", "https://api.inference.wandb.ai/v1", "WANDB_API_KEY",
                     note="docs.wandb.ai: W&B Inference; the registry's api.wandb.ai/proxy "
                     "URL differs"),
    OpenAICompatible("xiaomi_mimo", "https://api.xiaomimimo.com/v1", "MIMO_API_KEY",
                     also_key_env=("XIAOMI_MIMO_API_KEY",), aliases=("mimo",),
                     note="platform.xiaomimimo.com (pay-as-you-go; takes "
                     "max_completion_tokens itself)"),
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
    OpenAICompatible("docker_model_runner", "http://localhost:12434/engines/v1", None,
                     local=True,
                     note="docs.docker.com: Docker Model Runner, host TCP port; the registry's "
                     "port 22088 is not Docker's"),
    OpenAICompatible("lemonade", "http://localhost:8000/api/v1", None, local=True,
                     note="lemonade-server.ai server spec"),
    OpenAICompatible("oobabooga", "http://127.0.0.1:5000/v1", "OOBABOOGA_API_KEY", local=True,
                     aliases=("text_generation_webui",),
                     note="text-generation-webui's OpenAI API (--api; --api-key optional)"),
    # OpenAI's format at a URL the caller gives (base_url= or provider_options).
    OpenAICompatible("hosted_vllm", "", "HOSTED_VLLM_API_KEY", stream_usage=True, local=True),
    OpenAICompatible("litellm_proxy", "", "LITELLM_PROXY_API_KEY", stream_usage=True,
                     local=True),
    OpenAICompatible("custom_openai", "", None, local=True),
)

# The public registry's chat providers left out, and why: not OpenAI chat-completions streams,
# or OpenAI-compatible only by the registry's word (no docs of their own could be read to
# confirm the URL and format; custom_openai/ with the registry's URL reaches them meanwhile).
_UNCHECKED = ("not confirmed in its own docs; the registry says {}: custom_openai/ with that "
              "base_url reaches it")

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
    "abliteration": _UNCHECKED.format("https://api.abliteration.ai/v1"),
    "amazon_nova": _UNCHECKED.format("https://api.nova.amazon.com/v1"),
    "apertis": _UNCHECKED.format("https://api.stima.tech/v1"),
    "charity_engine": _UNCHECKED.format(
        "https://api.charityengine.services/remotejobs/v2/inference"),
    "compactifai": _UNCHECKED.format("https://api.compactif.ai/v1"),
    "crusoe": _UNCHECKED.format(
        "https://managed-inference-api-proxy.crusoecloud.com/v1"),
    "darkbloom": _UNCHECKED.format("https://api.darkbloom.dev/v1"),
    "empiriolabs": _UNCHECKED.format("https://api.empiriolabs.ai/v1"),
    "empower": _UNCHECKED.format("https://app.empower.dev/api/v1"),
    "llamagate": _UNCHECKED.format("https://api.llamagate.dev/v1"),
    "meta": _UNCHECKED.format("https://api.meta.ai/v1"),
    "neosantara": _UNCHECKED.format("https://api.neosantara.xyz/v1"),
    "pinstripes": _UNCHECKED.format("https://pinstripes.io/v1"),
    "publicai": _UNCHECKED.format("https://api.publicai.co/v1"),
    "tensormesh": _UNCHECKED.format("https://serverless.tensormesh.ai/v1"),
}
