"""The benchmark harness behind ``python -m literllm.bench`` (stdlib only)."""
