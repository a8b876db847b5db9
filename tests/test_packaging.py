"""The package as shipped: extension list, public names, twin selection, the sdist."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import literllm
import literllm._parsers

ROOT = Path(__file__).resolve().parents[1]


def _setup_extension_modules() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "EXTENSION_MODULES" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return value
    raise AssertionError("setup.py has no EXTENSION_MODULES")


# Helpers of the compiled twins with no twin of their own: the py twins have no use for them
# (their chunks keep orjson's dicts as raw, and the stream core calls them as Python).
COMPILED_ONLY = {"_json_c", "_adapter_c"}


def test_setup_lists_every_pyx() -> None:
    package = ROOT / "literllm"
    pyx_files = sorted(package.rglob("*_c.pyx"))
    on_disk = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in pyx_files
    }
    assert set(_setup_extension_modules()) == on_disk
    assert len(on_disk) == 15
    for pyx in pyx_files:
        assert pyx.with_suffix(".pyi").exists(), f"{pyx.name} has no stub"
        if pyx.stem in COMPILED_ONLY:
            continue
        twin = pyx.with_name(pyx.name.replace("_c.pyx", "_py.py"))
        assert twin.exists(), f"{pyx.name} has no twin"


def test_public_names_exact() -> None:
    exported = {name for name in dir(literllm) if not name.startswith("_")} - {
        "errors",
        "types",
        "bench",
        "providers",
        "testing",
        "client",
        "eventstream",
        "sync",
        "transport",
        "otel",
        "formats",
    }
    assert set(literllm.__all__) == exported | {"__version__"}
    for name in literllm.__all__:
        assert getattr(literllm, name) is not None


def test_implementation_value() -> None:
    assert literllm.IMPLEMENTATION in ("c", "py")
    assert literllm._parsers.IMPLEMENTATION == literllm.IMPLEMENTATION
    expected_module = f"literllm._parsers._sse_{literllm.IMPLEMENTATION}"
    assert literllm.SSEDecoder.__module__ == expected_module
    assert literllm.EventStreamDecoder.__module__ == (
        f"literllm._parsers._eventstream_{literllm.IMPLEMENTATION}"
    )


@pytest.mark.skipif(
    not os.environ.get("LITERLLM_REQUIRE_EXTENSIONS"), reason="LITERLLM_REQUIRE_EXTENSIONS not set"
)
def test_compiled_twins_loaded_when_required() -> None:
    assert literllm.IMPLEMENTATION == "c"


def test_no_extensions_env_selects_py() -> None:
    code = "import literllm; print(literllm.IMPLEMENTATION, literllm.SSEDecoder.__module__)"
    env = {**os.environ, "LITERLLM_NO_EXTENSIONS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["py", "literllm._parsers._sse_py"]


def test_no_generated_files_tracked() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert not [
        f for f in tracked
        if f.endswith((".so", ".pyd", ".html")) or (f.startswith("literllm/") and f.endswith(".c"))
    ]


@pytest.mark.slow
def test_sdist_carries_sources_and_installs(tmp_path: Path) -> None:
    """Build the sdist, check what it carries, install from it and decode with the c twin."""
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT, check=True, capture_output=True,
    )
    [sdist] = tmp_path.glob("literllm-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    for pxd in ("providers/_json_c", "providers/_adapter_c", "_parsers/_eventstream_c",
                "_accumulate_c", "_types_c"):
        assert any(n.endswith(f"literllm/{pxd}.pxd") for n in names), pxd
    for stem in ("_parsers/_sse_c", "_parsers/_eventstream_c", "providers/_json_c",
                 "providers/_adapter_c",
                 "providers/_openai_stream_c",
                 "providers/_anthropic_stream_c", "providers/_bedrock_stream_c",
                 "providers/_cohere_stream_c", "providers/_gemini_stream_c",
                 "providers/_ollama_stream_c", "providers/_responses_stream_c", "_types_c"):
        assert any(n.endswith(f"literllm/{stem}.pyx") for n in names)
        assert any(n.endswith(f"literllm/{stem}.pyi") for n in names)
        assert not any(n.endswith(f"{stem}.c") for n in names), "generated C in the sdist"
    assert any(n.endswith("literllm/py.typed") for n in names)
    assert not any(n.endswith(".so") for n in names)

    target = tmp_path / "site"
    env = {**os.environ, "LITERLLM_REQUIRE_EXTENSIONS": "1"}
    env.pop("LITERLLM_NO_EXTENSIONS", None)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(sdist)],
        check=True, capture_output=True, env=env,
    )
    code = (
        "import literllm, sys; assert literllm.__file__.startswith(sys.argv[1]), literllm.__file__;"
        "from literllm.providers.openai import OpenAIChatStream as S; assert S.__module__.endswith('_c');"
        "from literllm.providers.anthropic import AnthropicStream as A; assert A.__module__.endswith('_c');"
        "print(literllm.IMPLEMENTATION, literllm.SSEDecoder().feed_raw(b'data: 1\\n\\n'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=tmp_path, env={**env, "PYTHONPATH": str(target)},
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert out == "c [(b'message', b'1')]"


@pytest.mark.slow
def test_compiler_failure_installs_pure_python_and_says_so(tmp_path: Path) -> None:
    """No working C compiler: the install still succeeds, as pure Python, and says so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LITERLLM_")}
    env["CC"] = "false"  # a "compiler" that always fails
    # A clean copy: no build/ directory whose earlier objects could be reused.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT, source,
        ignore=shutil.ignore_patterns(".*", "build", "dist", "*.so", "*.c", "__pycache__"),
    )
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-v", "--no-deps", "--no-build-isolation",
         "--target", str(tmp_path / "site"), str(source)],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    assert "literllm: compiled parsers unavailable; installing pure Python" in (
        build.stdout + build.stderr
    )
    assert not list((tmp_path / "site" / "literllm").rglob("*.so"))
    out = subprocess.run(
        [sys.executable, "-c", "import literllm; print(literllm.IMPLEMENTATION)"],
        env={**env, "PYTHONPATH": str(tmp_path / "site")}, cwd=tmp_path,
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip() == "py"
    required = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--target", str(tmp_path / "site2"), str(source)],
        capture_output=True, text=True, env={**env, "LITERLLM_REQUIRE_EXTENSIONS": "1"},
        cwd=tmp_path, check=False,
    )
    assert required.returncode != 0


def _tracked_files() -> list[str]:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()


# Where `python3 -m venv .venv`, pip, tox and the build write their own files; a tracked file
# there (a `.venv` file once was) breaks the README's commands on a fresh clone.
_TOOL_OUTPUT = re.compile(
    r"^(\.venv[^/]*|venv|\.tox|build|dist|\.eggs)(/|$)|\.egg-info(/|$)|(^|/)__pycache__/"
    r"|(^|/)\.(pytest_cache|mypy_cache|ruff_cache|hypothesis)(/|$)"
)


def test_nothing_tracked_where_tools_write() -> None:
    assert [f for f in _tracked_files() if _TOOL_OUTPUT.search(f)] == []


def _readme_command(comment: str) -> str:
    lines = (ROOT / "README.md").read_text().splitlines()
    return lines[lines.index(comment) + 1]


def test_readme_commands_and_ci_agree() -> None:
    """CI runs the README's test command as written, on a checkout it does not clean up."""
    test_command = _readme_command("# install, then run the whole test suite")
    bench_command = _readme_command(
        "# install, then run the benchmark (embedded local provider, no API key needed)"
    )
    for command in (test_command, bench_command):
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install")
    assert test_command.endswith("'.[test]' && pytest")
    assert bench_command.endswith("'.[bench]' && python -m literllm.bench")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "# install, then run the whole test suite" in ci  # read from the README
    assert "rm " not in ci and "git clean" not in ci


def test_help_is_readable() -> None:
    """help(literllm) shows the package's own surface, not a thousand inherited int methods."""
    import pydoc

    text = pydoc.render_doc(literllm, renderer=pydoc.plaintext)
    assert "bit_length" not in text and "from_bytes" not in text
    assert "Where things are" in text
    assert len(text.splitlines()) < 6000, len(text.splitlines())  # about 90 per error class


def test_readme_python_blocks_compile() -> None:
    """Every example in the README is valid Python (top-level await allowed, as in a REPL)."""
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 6
    for block in blocks:
        if block.lstrip().startswith(">>>"):
            continue
        compile(block, "README.md", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
