#!/usr/bin/env python
"""Put cross-validation reports (JSON from cross_validate.py) side by side in one Markdown table.

    python scripts/compare_reports.py reports/cv-default.json reports/cv-baseline.json --output reports/cross-validation.md
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from zhaoshang_ner.config import command_line
from zhaoshang_ner.documents import write_text_atomic
from zhaoshang_ner.labels import LABELS
from zhaoshang_ner.reports import comparison_markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", nargs="+")
    parser.add_argument("--output", required=True)
    parser.add_argument("--title", default="Cross-validation: pooled strict entity-level F1 (%)")
    parser.add_argument("--note", action="append", default=[], help="a caveat line to print under the table")
    args = parser.parse_args(argv)
    results = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.reports]
    folds = {r["folds_k"] for r in results}
    lines = [f"# {args.title}", "",
             f"Document-grouped folds: {', '.join(map(str, sorted(folds)))}; same folds for every column "
             "(GroupKFold over document groups). Commands:", ""]
    lines += [f"- {r['name']}: `{r['command']}`" for r in results]
    lines += ["", f"This table: `{command_line('scripts/compare_reports.py', argv)}`"]
    body = "\n".join(lines) + "\n\n" + comparison_markdown(results, LABELS)
    body += "".join(f"\n{note}\n" for note in args.note)
    write_text_atomic(args.output, body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
