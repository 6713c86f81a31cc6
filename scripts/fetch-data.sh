#!/usr/bin/env bash
# Fetch the real English text the harness measures perplexity on into the
# aellm cache, offline afterwards.
#
#   scripts/fetch-data.sh
#
# Jane Austen's *Persuasion* (public domain) comes from the Debian package
# `r-cran-janeaustenr`: apt downloads the package file (nothing is
# installed), and scripts/extract-austen.py reads the novel out of it and
# writes its train / validation / test chapters to
#   ${AELLM_CACHE:-~/.cache/aellm}/data/persuasion/persuasion.{train,validation,test}.txt
# Running it again does nothing once the three files are there.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${AELLM_CACHE:-${HOME}/.cache/aellm}"
dest="$cache/data/persuasion"
if [[ -s "$dest/persuasion.train.txt" && -s "$dest/persuasion.validation.txt" && -s "$dest/persuasion.test.txt" ]]; then
    echo "fetch-data: Persuasion already present: $dest"
    exit 0
fi
command -v apt-get >/dev/null || { echo "fetch-data: needs apt-get (a Debian-family system)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "fetch-data: python3 is required" >&2; exit 1; }
# `apt-get download` needs the package lists; a fresh machine has none yet.
if ! apt-cache show r-cran-janeaustenr >/dev/null 2>&1; then
    echo "fetch-data: updating the package lists (apt-get update)"
    apt-get update -qq
fi
python3 scripts/extract-austen.py "$dest"
echo "fetch-data: Persuasion in $dest"
