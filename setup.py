"""Declares the compiled parser twins; all other metadata lives in pyproject.toml.

Environment:
  LITERLLM_NO_EXTENSIONS=1       declare no extensions (pure-Python install)
  LITERLLM_REQUIRE_EXTENSIONS=1  fail the install if any extension cannot be built
  LITERLLM_CYTHON_TRACE=1        compile with line tracing (coverage of the .pyx)
"""

from __future__ import annotations

import os
import platform
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# One tuple of extension module names; tests/test_packaging.py checks it against *_c.pyx.
EXTENSION_MODULES = (
    "literllm._parsers._sse_c",
    "literllm._parsers._eventstream_c",
    "literllm._parsers._ndjson_c",
    "literllm.providers._json_c",
    "literllm.providers._adapter_c",
    "literllm.providers._openai_stream_c",
    "literllm.providers._anthropic_stream_c",
    "literllm.providers._bedrock_stream_c",
    "literllm.providers._cohere_stream_c",
    "literllm.providers._gemini_stream_c",
    "literllm.providers._ollama_stream_c",
    "literllm.providers._responses_stream_c",
    "literllm._types_c",
    "literllm._accumulate_c",
    "literllm._stream_core_c",
)


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


NO_EXTENSIONS = _flag("LITERLLM_NO_EXTENSIONS") or platform.python_implementation() != "CPython"
REQUIRE_EXTENSIONS = _flag("LITERLLM_REQUIRE_EXTENSIONS")
CYTHON_TRACE = _flag("LITERLLM_CYTHON_TRACE")

if _flag("LITERLLM_NO_EXTENSIONS") and REQUIRE_EXTENSIONS:
    sys.exit("literllm: LITERLLM_NO_EXTENSIONS and LITERLLM_REQUIRE_EXTENSIONS are both set")
if REQUIRE_EXTENSIONS and NO_EXTENSIONS:
    sys.exit("literllm: LITERLLM_REQUIRE_EXTENSIONS is set but this interpreter is not CPython")


def _extensions() -> list[Extension]:
    if NO_EXTENSIONS:
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        if REQUIRE_EXTENSIONS:
            raise
        return []
    macros = [("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")] if CYTHON_TRACE else []
    extensions = [
        Extension(
            name,
            [name.replace(".", "/") + ".pyx"],
            libraries=["z"],
            define_macros=macros,
            extra_compile_args=["-O3"],
        )
        for name in EXTENSION_MODULES
    ]
    directives = {
        "language_level": 3,
        "embedsignature": True,
        # NOTE: no freethreading_compatible: the decoders grow and free buffers without
        # locks, and no free-threaded build has been tested.
        "linetrace": CYTHON_TRACE,
    }
    try:
        translated = list(cythonize(extensions, compiler_directives=directives, quiet=True))
    except Exception:
        if REQUIRE_EXTENSIONS:
            raise
        print("literllm: Cython could not translate the parsers", file=sys.stderr)
        return []
    # NOTE: cythonize() returns new Extension objects and drops `optional`; without it a
    # compiler failure would fail the install instead of falling back to pure Python.
    for extension in translated:
        extension.optional = not REQUIRE_EXTENSIONS
    return translated


class BuildExtReport(build_ext):
    """Say in one line whether the compiled twins or the pure-Python ones were installed."""

    def run(self) -> None:
        super().run()
        built = [e.name for e in self.extensions if os.path.exists(self.get_ext_fullpath(e.name))]
        if len(built) == len(self.extensions) and built:
            print("literllm: built the compiled (c) parsers", file=sys.stderr)
        else:
            print("literllm: compiled parsers unavailable; installing pure Python", file=sys.stderr)


ext_modules = _extensions()
if not ext_modules:
    print("literllm: installing the pure-Python (py) parsers", file=sys.stderr)

setup(ext_modules=ext_modules, cmdclass={"build_ext": BuildExtReport})
