#!/usr/bin/env bash
# Runs the `aellm` command on bad inputs and checks each exit code and message.
#
#   bash scripts/bad-inputs.sh [PATH/TO/aellm]
#
# Without an argument it builds the command (release). Every case must exit
# with its documented code (2: bad input, 3: no recommendation; see `aellm
# --help`), print a message naming the input, and print no stack trace even
# with RUST_BACKTRACE=1. Prints one line per case and "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-}"
if [ -z "$BIN" ]; then
    cargo build --release --quiet --bin aellm || exit 1
    BIN="${CARGO_TARGET_DIR:-target}/release/aellm"
fi
BIN="$(realpath "$BIN")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export RUST_BACKTRACE=1 AELLM_CACHE="$WORK/cache"
passed=0
failed=0

# check NAME EXPECTED_CODE EXPECTED_TEXT -- ARGS...
check() {
    local name="$1" code="$2" text="$3"
    shift 4
    local out rc
    out="$(cd "$WORK" && timeout 120 "$BIN" "$@" 2>&1 </dev/null)"
    rc=$?
    local why=""
    [ "$rc" = "$code" ] || why="exit $rc, expected $code"
    if ! grep -qiF -- "$text" <<<"$out"; then why="${why:+$why; }message lacks '$text'"; fi
    if grep -qE "stack backtrace|panicked at|RUST_BACKTRACE" <<<"$out"; then why="${why:+$why; }stack trace or panic printed"; fi
    if [ -z "$why" ]; then
        passed=$((passed + 1)); echo "ok    $name"
    else
        failed=$((failed + 1)); echo "FAIL  $name: $why"; sed 's/^/      | /' <<<"$out" | tail -5
    fi
}

# scenario NAME BODY: writes $WORK/NAME.toml (or .json)
scenario() { printf '%s\n' "$2" >"$WORK/$1"; }

base='model = "llama-2-7b"
task = "mmlu"
hardware = "a100-80gb"'
scenario nan-accuracy.toml "$base
[constraints]
min_accuracy = nan"
scenario percent-accuracy.toml "$base
[constraints]
min_accuracy = 75.0"
scenario negative-latency.toml "$base
[constraints]
max_latency_ms = -5.0"
scenario infinite-memory.toml "$base
[constraints]
max_memory_gb = inf"
scenario zero-power.toml "$base
[constraints]
max_power_w = 0.0"
scenario zero-timeout.toml "eval_timeout_s = 0
$base"
scenario nan-timeout.toml "eval_timeout_s = nan
$base"
scenario long-timeout.toml "eval_timeout_s = 1e9
$base"
scenario text-timeout.toml "eval_timeout_s = \"soon\"
$base"
scenario zero-attempts.toml "max_attempts = 0
$base"
scenario many-attempts.toml "max_attempts = 50
$base"
scenario negative-attempts.toml "max_attempts = -2
$base"
scenario zero-budget.toml "budget = 0
$base"
scenario negative-budget.toml "budget = -3
$base"
scenario nan-weight.toml "$base
[preferences]
accuracy = nan
latency = 1
memory = 1
energy = 1"
scenario zero-weights.toml "$base
[preferences]
accuracy = 0
latency = 0
memory = 0
energy = 0"
scenario string-weight.toml "$base
[preferences]
accuracy = 1
latency = 1
memory = 1
energy = \"x\""
scenario unknown-model.toml 'model = "llama-9"
task = "mmlu"
hardware = "a100-80gb"'
scenario unknown-hardware.toml 'model = "llama-2-7b"
task = "mmlu"
hardware = "tpu-v9"'
scenario unknown-task.toml 'model = "llama-2-7b"
task = "poetry"
hardware = "a100-80gb"'
scenario unknown-field.toml "$base
colour = \"blue\""
scenario missing-task.toml 'model = "llama-2-7b"
hardware = "a100-80gb"'
scenario broken-syntax.toml 'model = "llama-2-7b
task = mmlu'
scenario broken.json '{"model": "llama-2-7b", "task": "mmlu", "hardware": '
scenario bad-kind.json '{"model": "llama-2-7b", "hardware": "h100-sxm", "task": {"name": "t", "kind": "poetry", "prompt_tokens": 5, "output_tokens": 5, "metric": "accuracy"}}'
inline_model() { # $1 = extra model fields
    printf 'task = "mmlu"\nhardware = "a100-80gb"\n[model]\nname = "m"\nparameters = 1000000\nlayers = 2\nhidden = 64\nffn = 128\nvocab = 100\n%s\n' "$1"
}
scenario heads-not-dividing.toml "$(inline_model 'heads = 5
kv_heads = 5')"
scenario kv-heads-not-dividing.toml "$(inline_model 'heads = 4
kv_heads = 3')"
scenario too-many-active-experts.toml "$(inline_model 'heads = 4
kv_heads = 4
experts = 2
experts_per_token = 4')"
scenario zero-layers.toml "$(printf 'task = "mmlu"\nhardware = "a100-80gb"\n[model]\nname = "m"\nparameters = 1000000\nlayers = 0\nhidden = 64\nheads = 4\nkv_heads = 4\nffn = 128\nvocab = 100\n')"
scenario zero-prompt.toml 'model = "llama-2-7b"
hardware = "a100-80gb"
[task]
name = "t"
kind = "understanding"
prompt_tokens = 0
output_tokens = 8
metric = "accuracy"'
scenario zero-memory-hardware.toml 'model = "llama-2-7b"
task = "mmlu"
[hardware]
name = "h"
memory_gb = 0.0
power_w = 300.0
bandwidth_gbs = 900.0
[hardware.peak]
fp16 = 100.0'
scenario other-gpu.toml 'model = "llama-3-8b"
task = "mmlu"
hardware = "rtx-4090"'
printf 'this is not a database, just text\n' >"$WORK/not-a-study.sqlite"
printf '{"architecture": "nope"}\n' >"$WORK/bad-config.json"
printf 'model,hardware\nllama,rtx\n' >"$WORK/bad.csv"

S() { echo "--scenario"; echo "$WORK/$1"; }
o() { echo optimize --no-baselines --out "$WORK/out"; }

check "scenario file does not exist"    2 "missing.toml"        -- optimize --scenario missing.toml
check "NaN min_accuracy"                2 "min_accuracy"        -- optimize $(S nan-accuracy.toml)
check "min_accuracy as a percentage"    2 "min_accuracy"        -- optimize $(S percent-accuracy.toml)
check "negative latency limit"          2 "max_latency_ms"      -- optimize $(S negative-latency.toml)
check "infinite memory limit"           2 "max_memory_gb"       -- optimize $(S infinite-memory.toml)
check "zero power limit"                2 "max_power_w"         -- optimize $(S zero-power.toml)
check "budget 0 in the file"            2 "budget"              -- optimize $(S zero-budget.toml)
check "negative budget in the file"     2 "budget"              -- optimize $(S negative-budget.toml)
check "eval_timeout_s 0 in the file"    2 "eval_timeout_s\` is 0"    -- optimize $(S zero-timeout.toml)
check "eval_timeout_s NaN in the file"  2 "eval_timeout_s\` is NaN"    -- optimize $(S nan-timeout.toml)
check "eval_timeout_s over a week"      2 "at most 604800"    -- optimize $(S long-timeout.toml)
check "eval_timeout_s as text"          2 "expected f64"    -- optimize $(S text-timeout.toml)
check "max_attempts 0 in the file"      2 "max_attempts\` = 0"    -- optimize $(S zero-attempts.toml)
check "max_attempts 50 in the file"     2 "max_attempts\` = 50"    -- optimize $(S many-attempts.toml)
check "max_attempts negative in the file" 2 "expected u32"    -- optimize $(S negative-attempts.toml)
check "--max-attempts overrides the file" 2 "max_attempts\` = 0"    -- $(o) $(S many-attempts.toml) --max-attempts 0
check "NaN preference weight"           2 "preferences"         -- optimize $(S nan-weight.toml)
check "all preference weights zero"     2 "preferences"         -- optimize $(S zero-weights.toml)
check "preference weight is a string"   2 "preferences.energy"  -- optimize $(S string-weight.toml)
check "unknown model preset"            2 "llama-2-7b"          -- optimize $(S unknown-model.toml)
check "unknown hardware preset"         2 "hardware"            -- optimize $(S unknown-hardware.toml)
check "unknown task preset"             2 "task"                -- optimize $(S unknown-task.toml)
check "unknown field"                   2 "colour"              -- optimize $(S unknown-field.toml)
check "missing task"                    2 "task"                -- optimize $(S missing-task.toml)
check "broken TOML"                     2 "broken-syntax.toml"  -- optimize $(S broken-syntax.toml)
check "broken JSON"                     2 "broken.json"         -- optimize $(S broken.json)
check "unknown task kind"               2 "understanding"       -- optimize $(S bad-kind.json)
check "heads do not divide hidden"      2 "heads"               -- optimize $(S heads-not-dividing.toml)
check "kv_heads do not divide heads"    2 "kv_heads"            -- optimize $(S kv-heads-not-dividing.toml)
check "more active experts than experts" 2 "experts_per_token"  -- optimize $(S too-many-active-experts.toml)
check "zero layers"                     2 "layers"              -- optimize $(S zero-layers.toml)
check "zero prompt tokens"              2 "prompt_tokens"       -- optimize $(S zero-prompt.toml)
check "hardware with no memory"         2 "memory_gb"           -- optimize $(S zero-memory-hardware.toml)
check "--budget 0"                      2 "budget"              -- $(o) --budget 0
check "--budget too small"              2 "budget"              -- $(o) --budget 3
check "--budget not a number"           2 "budget"              -- $(o) --budget many
check "--weights with three numbers"    2 "weights"             -- $(o) --weights 1,2,3
check "--weights negative"              2 "weights"             -- $(o) --weights=-1,0,0,0
check "--weights not numbers"           2 "weights"             -- $(o) --weights a,b,c,d
check "--max-time unreadable"           2 "max-time"            -- $(o) --max-time 10parsecs
check "--rounds not a number"           2 "rounds"              -- $(o) --rounds x
check "--eval-timeout 0"                2 "eval_timeout"        -- $(o) --eval-timeout 0
check "--eval-timeout negative"         2 "eval-timeout"        -- $(o) --eval-timeout=-5s
check "--eval-timeout over a week"      2 "eval_timeout"        -- $(o) --eval-timeout 200h
check "--eval-timeout unreadable"       2 "eval-timeout"        -- $(o) --eval-timeout soon
check "--max-attempts 0"                2 "max_attempts"        -- $(o) --max-attempts 0
check "--max-attempts too many"         2 "max_attempts"        -- $(o) --max-attempts 1000
check "--max-attempts negative"         2 "max-attempts"        -- $(o) --max-attempts=-1
check "--evaluator unknown"             2 "unknown evaluator"   -- $(o) --evaluator gpu
check "harness asked for another GPU"   2 "costmodel"           -- $(o) --evaluator harness $(S other-gpu.toml)
check "--accuracy-from: no report there" 2 "aellm optimize --out" -- $(o) --evaluator costmodel $(S other-gpu.toml) --accuracy-from "$WORK/no-report"
check "--accuracy-from with the harness" 2 "accuracy-from"      -- $(o) --evaluator harness --accuracy-from "$WORK/no-report"
check "--warm-start: no report there"   2 "aellm optimize --out" -- $(o) --evaluator costmodel $(S other-gpu.toml) --warm-start "$WORK/no-report"
check "--warm-start with --no-surrogates" 2 "no-surrogates"   -- $(o) --evaluator costmodel $(S other-gpu.toml) --no-surrogates --warm-start "$WORK/no-report"
check "study is not a database"         2 "not-a-study.sqlite"  -- $(o) --study "$WORK/not-a-study.sqlite"
check "study URL of no known store"     2 "study"               -- $(o) --study "mysql://x@y/z"
check "measure: configuration file missing" 2 "nothing.json"    -- measure nothing.json
check "measure: configuration unreadable" 2 "bad-config.json"   -- measure "$WORK/bad-config.json"
check "calibrate: file missing"         2 "missing.csv"         -- calibrate missing.csv
check "calibrate: wrong columns"        2 "bad.csv"             -- calibrate "$WORK/bad.csv"
check "worker: --max-attempts 0"        2 "max_attempts"        -- worker --study "$WORK/w.sqlite" --max-attempts 0
check "worker: --max-attempts too many" 2 "max_attempts"        -- worker --study "$WORK/w.sqlite" --max-attempts 21
check "worker: --eval-timeout 0"        2 "eval_timeout"        -- worker --study "$WORK/w.sqlite" --eval-timeout 0
check "worker: --eval-timeout over a week" 2 "eval_timeout"     -- worker --study "$WORK/w.sqlite" --eval-timeout 200h
check "worker: --lease under a second"  2 "lease"               -- worker --study "$WORK/w.sqlite" --lease 0.2s
check "unknown subcommand"              2 "frobnicate"          -- frobnicate
check "study status of nothing"         2 "nowhere.sqlite"      -- study status "$WORK/nowhere.sqlite"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
