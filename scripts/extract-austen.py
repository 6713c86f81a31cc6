#!/usr/bin/env python3
"""Extract Jane Austen's *Persuasion* (public domain) from the Debian package
`r-cran-janeaustenr` and write the harness's real-text splits.

    python3 scripts/extract-austen.py [OUT_DIR]   # default ~/.cache/aellm/data/persuasion (scripts/fetch-data.sh passes the cache)

The package keeps the novels as R character vectors (one line of the book per
element) in an R lazy-load database (`data/Rdata.rdb`): each record is a
4-byte big-endian length and a zlib stream of R's XDR serialisation. Only the
parts of that format the file uses are read here (standard library only).

Splits are whole chapters so no paragraph straddles two of them:
train = chapters 1-9, validation = 10-13, test = 14-24. The test split is
never used for tuning (see docs/data.md).
"""
import glob
import os
import struct
import subprocess
import sys
import tempfile
import zlib

PACKAGE = "r-cran-janeaustenr"
SPLITS = {"train": range(1, 10), "validation": range(10, 14), "test": range(14, 25)}


class XdrReader:
    """Reads the subset of R's XDR serialisation used by character vectors."""

    def __init__(self, data):
        self.d, self.i = data, 0

    def int(self):
        (v,) = struct.unpack_from(">i", self.d, self.i)
        self.i += 4
        return v

    def header(self):
        assert self.d[:2] == b"X\n", "not an XDR serialisation"
        self.i = 2
        version = self.int()
        self.int(), self.int()
        if version == 3:
            n = self.int()
            self.i += n

    def strings(self):
        """The first item, when it is a character vector; else None."""
        flags = self.int()
        if flags & 0xFF != 16:  # STRSXP
            return None
        out = []
        for _ in range(self.int()):
            self.int()  # CHARSXP flags
            n = self.int()
            out.append("" if n < 0 else self.d[self.i : self.i + n].decode("utf-8"))
            self.i += max(n, 0)
        return out


def vectors(rdb):
    data, at = open(rdb, "rb").read(), 0
    while at < len(data):
        z = zlib.decompressobj()
        raw = z.decompress(data[at + 4 :])
        at = len(data) - len(z.unused_data)
        r = XdrReader(raw)
        r.header()
        v = r.strings()
        if v:
            yield v


def chapters(lines):
    """{chapter number: list of paragraphs}; the heading lines are dropped."""
    out, current, para = {}, None, []
    for line in lines + [""]:
        s = line.strip()
        if s.lower().startswith("chapter ") and len(s.split()) == 2:
            current = len(out) + 1
            out[current] = []
        elif not s:
            if para and current:
                out[current].append(" ".join(para))
            para = []
        else:
            para.append(s)
    return out


def main():
    default = os.path.join(os.environ.get("AELLM_CACHE", os.path.expanduser("~/.cache/aellm")), "data", "persuasion")
    out_dir = sys.argv[1] if len(sys.argv) > 1 else default
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", PACKAGE], cwd=tmp, check=True)
        deb = glob.glob(os.path.join(tmp, "*.deb"))[0]
        subprocess.run(["dpkg-deb", "-x", deb, os.path.join(tmp, "x")], check=True)
        rdb = glob.glob(os.path.join(tmp, "x", "**", "janeaustenr", "data", "Rdata.rdb"), recursive=True)[0]
        book = next(v for v in vectors(rdb) if v[0].strip() == "Persuasion")
    ch = chapters(book)
    assert len(ch) == 24, f"expected 24 chapters of Persuasion, found {len(ch)}"
    os.makedirs(out_dir, exist_ok=True)
    for name, rng in SPLITS.items():
        text = "\n\n".join("\n\n".join(ch[c]) for c in rng) + "\n"
        with open(os.path.join(out_dir, f"persuasion.{name}.txt"), "w", encoding="utf-8") as f:
            f.write(text)
        print(f"{name}: chapters {rng.start}-{rng.stop - 1}, {len(text.split())} words, {len(text)} chars")


if __name__ == "__main__":
    main()
