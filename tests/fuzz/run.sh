#!/usr/bin/env bash
# Coverage-guided fuzzing of the compiled twins (differential against the py twins), with
# the extensions built by clang under AddressSanitizer and libFuzzer's coverage
# instrumentation, and atheris built from source so that its asan_with_fuzzer.so matches.
#
#   FUZZ_SECONDS=600 bash tests/fuzz/run.sh      # 10 minutes per target (tox -e fuzz)
#
# Run inside a virtualenv of its own (tox -e fuzz makes one): it installs into it.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-600}
corpus=$(realpath -m "${FUZZ_CORPUS:-.tox/fuzz-corpus}")
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off

if ! command -v clang-14 >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
  else
    echo "tests/fuzz/run.sh needs clang-14 and libclang-rt-14-dev (Debian packages)"; exit 1
  fi
fi
python -c "import atheris, os, sys; sys.exit(not os.path.exists(atheris.path() + '/asan_with_fuzzer.so'))" 2>/dev/null || \
  CLANG_BIN=clang-14 pip install --no-binary atheris --force-reinstall atheris
CC=clang-14 LDSHARED="clang-14 -shared" \
  CFLAGS="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer -g -O1" \
  LDFLAGS="-fsanitize=address,fuzzer-no-link" LITERLLM_REQUIRE_EXTENSIONS=1 \
  pip install --force-reinstall --no-deps .
pip install orjson aiohttp >/dev/null
python tests/fuzz/make_seeds.py "$corpus"

asan="$(python -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so"
for target in sse eventstream ndjson openai_stream; do
  echo "== fuzz $target for ${seconds} s (corpus $corpus/$target)"
  log="$corpus/$target.log"
  status=0
  (cd tests/fuzz && env LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
    python "fuzz_$target.py" "$corpus/$target" -artifact_prefix="$corpus/$target-" \
      -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 >"$log" 2>&1) \
    || status=$?
  grep -E "DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)" "$log"
  echo "corpus: $(find "$corpus/$target" -type f | wc -l) inputs"
  if [ "$status" -ne 0 ]; then
    tail -60 "$log"
    echo "fuzz $target failed (exit $status); the input is under $corpus/$target-*"
    exit 1
  fi
done
