#!/usr/bin/env python3
"""Reference token ids of SmolLM2-135M-Instruct's tokenizer, for the
harness's test `tests/pretrained_smollm2.rs`.

The ids come from Transformers' own GGUF tokenizer conversion (an
implementation independent of ours), fed the metadata of the fetched GGUF
file as read by the `gguf` package (llama.cpp's reader). Needs no PyTorch:

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install transformers gguf
    /tmp/ref/bin/python scripts/reference/smollm2_token_ids.py
"""
import json
import os
import sys

from gguf import GGUFReader
from transformers.integrations.gguf.gguf_tokenizer_mapping import (
    GGUF_TOKENIZER_MAPPING,
    convert_gguf_tokenizer,
)

# The sentences the Rust test checks (keep in step with it).
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Anne Elliot was 27 years old in 1814, wasn't she?",
    "<|im_start|>user\nHi!<|im_end|>",
]


def value(field):
    """A metadata field as a Python value (strings, ints, or lists of them)."""
    kind = field.types[0].name
    if kind == "ARRAY":
        strings = field.types[-1].name == "STRING"
        return [bytes(field.parts[i]).decode() if strings else int(field.parts[i][0]) for i in field.data]
    if kind == "STRING":
        return bytes(field.parts[field.data[0]]).decode()
    return field.parts[field.data[0]][0].item()


def main():
    cache = os.environ.get("AELLM_CACHE", os.path.expanduser("~/.cache/aellm"))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        cache, "models/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    reader = GGUFReader(path)
    md = {k: value(f) for k, f in reader.fields.items() if k.startswith("tokenizer.") or k == "general.architecture"}
    renames = GGUF_TOKENIZER_MAPPING["tokenizer"]
    tok = {name: md[f"tokenizer.{key}"] for key, name in renames.items() if f"tokenizer.{key}" in md}
    backend, _ = convert_gguf_tokenizer(md["general.architecture"], tok)
    for s in SENTENCES:
        print(json.dumps(s), backend.encode(s, add_special_tokens=False).ids)


if __name__ == "__main__":
    main()
