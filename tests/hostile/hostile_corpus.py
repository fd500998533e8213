"""A hostile-input corpus for `zhaoshang-ner-predict`, generated at test time into a temporary folder
(never committed): every kind of file and JSONL line a careless or malicious user can hand the
command, each with what its record must say.

`write_corpus(root)` returns the inputs to pass and, per expected document id, an `Expect`: whether the
record is an error and a substring its `error` (or its `encoding`) must contain. Cases that need a
privilege or a file system feature the machine lacks (FIFOs, non-UTF-8 file names) are left out there.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

ARTICLE = ("临沂市招商引资签约130亿元新能源项目，由山东某集团投资建设。\n"
           "4月28日，兰山区与深圳华润集团签约高端装备产业园项目，总投资6300万美元。\n")
TRADITIONAL = "臺灣企業在蘇州簽約投資二十億元，建設半導體項目。\n"


@dataclass(frozen=True)
class Expect:
    """What one document's record must be: an error or not, and text that its error (for an error) or its
    encoding (otherwise) contains; `chars` when its length is known."""

    error: bool
    contains: str = ""
    chars: int | None = None


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def _folder(folder: Path, rng: random.Random) -> dict[str, Expect]:
    """Text files of every kind, and things in a folder that are not text files."""
    expect: dict[str, Expect] = {}

    def add(name: str, data: bytes | str, outcome: Expect, doc_id: str | None = None) -> None:
        _write(folder / name, data)
        expect[doc_id or Path(name).stem] = outcome

    add("plain.txt", ARTICLE, Expect(False, "utf-8", len(ARTICLE)))
    add("sub/plain.txt", TRADITIONAL.encode("big5"), Expect(False, "big5", len(TRADITIONAL)), "sub/plain")
    add("empty.txt", b"", Expect(False, "utf-8", 0))
    add("whitespace.txt", " \n\t\u3000\r\n", Expect(False, "utf-8", 6))
    add("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rng.randbytes(3000), Expect(True, "binary"))
    add("noise.txt", rng.randbytes(3000).replace(b"\x00", b"\x01"), Expect(True))
    add("nul_middle.txt", ARTICLE * 3 + "\x00" + ARTICLE, Expect(False, "utf-8", 4 * len(ARTICLE) + 1))
    add("nul_padding.txt", ARTICLE.encode("utf-8") + b"\x00" * 4096, Expect(True, "binary"))
    add("utf16_bom.txt", ARTICLE.encode("utf-16"), Expect(False, "utf-16", len(ARTICLE)))
    add("utf16be_bom.txt", ("\ufeff" + ARTICLE).encode("utf-16-be"), Expect(False, "utf-16", len(ARTICLE)))
    add("utf32_bom.txt", ARTICLE.encode("utf-32"), Expect(False, "utf-32", len(ARTICLE)))
    add("utf16_no_bom.txt", ARTICLE.encode("utf-16-le"), Expect(True, "binary"))
    add("utf8_bom.txt", b"\xef\xbb\xbf" + ARTICLE.encode("utf-8"), Expect(False, "utf-8-sig", len(ARTICLE)))
    add("bom_then_junk.txt", b"\xef\xbb\xbf\xff\xfe\xfd", Expect(True, "BOM"))
    add("gbk.txt", ARTICLE.encode("gbk"), Expect(False, "gb18030", len(ARTICLE)))
    add("gb18030_4byte.txt", (ARTICLE + "€㐀").encode("gb18030"), Expect(False, "gb18030", len(ARTICLE) + 2))
    add("big5.txt", TRADITIONAL.encode("big5"), Expect(False, "big5", len(TRADITIONAL)))
    add("gbk_valid_utf8.txt", "陆路".encode("gbk"), Expect(False, "gb18030", 2))
    cut = len(ARTICLE[:15].encode("utf-8"))  # two bad bytes between two characters: two U+FFFD
    add("damaged_utf8.txt", ARTICLE.encode("utf-8")[:cut] + b"\xff\xfe" + ARTICLE.encode("utf-8")[cut:],
        Expect(False, "utf-8", len(ARTICLE) + 2))
    add("huge_line.txt", (ARTICLE.replace("\n", "") * 700)[:45_000], Expect(False, "utf-8", 45_000))
    add("oddities.txt", "🚀签约🎉\u200d👍🏽 e\u0301 \u202e临沂\u202c 　ＡＢＣ１３０亿元\r只有回车\r",
        Expect(False, "utf-8"))
    add("LOUD.TXT", ARTICLE, Expect(False, "utf-8"))
    add("mixed.Txt", ARTICLE, Expect(False, "utf-8"))
    add(".hidden.txt", ARTICLE, Expect(False, "utf-8"), ".hidden")
    add("招商 文章 (1).txt", ARTICLE, Expect(False, "utf-8"))
    add("dir.txt/inner.txt", ARTICLE, Expect(False, "utf-8"))  # a folder named *.txt is a folder, not a document
    add("oversize.txt", "招" * 70_000, Expect(True, "larger than"))  # with MAX_FILE_BYTES patched to 200,000
    add("notes.md", "not an article", Expect(False))  # not *.txt: not an input at all
    del expect["notes"]
    (folder / "dangling.txt").symlink_to(folder / "missing.txt")
    expect["dangling"] = Expect(True, "dangling")
    (folder / "loop.txt").symlink_to(folder / "loop.txt")
    expect["loop"] = Expect(True, "looping")
    (folder / "zz_link_to_plain.txt").symlink_to(folder / "plain.txt")  # the same file twice: one record
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.txt")  # opening it would block the run forever
        expect["fifo"] = Expect(True, "FIFO")
    try:
        with open(os.fsencode(folder) + b"/latin1-\xe9t\xe9.txt", "wb") as handle:  # a name that is not UTF-8
            handle.write(ARTICLE.encode("utf-8"))
        expect[os.fsdecode(b"latin1-\xe9t\xe9")] = Expect(False, "utf-8")
    except (OSError, UnicodeError):
        pass
    return expect


def _jsonl(path: Path) -> dict[str, Expect]:
    """A JSONL file (upper-case suffix) with a BOM, CRLF line ends, bad lines and odd values."""
    at = None  # the record's id is the line's location, `FILE:LINE`
    lines: list[tuple[bytes, str | None, Expect | None]] = [
        (json.dumps({"id": "ok", "text": ARTICLE}, ensure_ascii=False).encode(), "ok", Expect(False, "", len(ARTICLE))),
        (b'{"id": "surrogate", "text": "a\\ud800b"}', "surrogate", Expect(True, "lone surrogate")),
        (b'{"id": "id\\udc80", "text": "\\u4e34\\u6c82"}', "id\udc80", Expect(False, "", 2)),
        (b'{"id": "nul", "text": "\\u4e34\\u0000\\u6c82"}', "nul", Expect(False, "", 3)),
        (b'{"id": "empty_text", "text": ""}', "empty_text", Expect(False, "", 0)),
        (b'{"id": 7, "text": "\\u4e34\\u6c82"}', "7", Expect(False)),
        (b'{"id": true, "text": "x"}', at, Expect(True, "`id`")),
        (b'{"id": "number", "text": 42}', "number", Expect(True, "`text`")),
        (b'{"id": "nested", "text": {"a": 1}}', "nested", Expect(True, "`text`")),
        (b"", None, None),
        (b"   ", None, None),
        (b"{not json", at, Expect(True, "invalid JSON")),
        (b"null", at, Expect(True, "not a JSON object")),
        (b'{"id": "ok", "text": "dup"}', at, Expect(True, "duplicate id")),
        ("中文".encode("gbk"), at, Expect(True, "not UTF-8")),
        (json.dumps({"id": "long", "text": (ARTICLE.replace("\n", "") * 500)[:30_000]}).encode(), "long",
         Expect(False, "", 30_000)),
        (b'{"id": "last", "text": "\\u4e34\\u6c82"}', "last", Expect(False, "", 2)),  # no newline at the end
    ]
    _write(path, b"\xef\xbb\xbf" + b"\r\n".join(line for line, _, _ in lines))
    return {key or f"{path}:{number}": outcome
            for number, (_, key, outcome) in enumerate(lines, 1) if outcome is not None}


def write_corpus(root: Path) -> tuple[list[Path], dict[str, Expect]]:
    """Write the corpus under `root`; return the inputs (in order) and the expected record of every document."""
    rng = random.Random(12)
    folder, docs, ndjson = root / "folder", root / "docs.JSONL", root / "more.ndjson"
    expect = _folder(folder, rng)
    expect.update(_jsonl(docs))
    _write(ndjson, json.dumps({"id": "nd", "text": ARTICLE}, ensure_ascii=False) + "\n")
    expect["nd"] = Expect(False, "", len(ARTICLE))
    _write(root / "empty.jsonl", b"")  # no documents, no records
    garbage = root / "garbage.jsonl"
    _write(garbage, b"\n".join(rng.randbytes(200).replace(b"\n", b"!").replace(b"\r", b"!") for _ in range(5)))
    expect.update({f"{garbage}:{n}": Expect(True) for n in range(1, 6)})
    return [folder, docs, ndjson, root / "empty.jsonl", garbage], expect
