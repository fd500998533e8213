"""The `zhaoshang-ner` command: annotation tools (validate, consistency, stats, convert) and `predict`.

Each subcommand is a `(configure, run)` pair in `COMMANDS`; adding one is adding a pair. `run`
returns the exit status: 0 clean, 1 something was flagged, 2 the input could not be read.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from zhaoshang_ner import batch, consistency, interop, stats, validate
from zhaoshang_ner.documents import read_documents


def configure_validate(parser: argparse.ArgumentParser) -> None:
    """Check files against the annotation contract."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="gold JSONL files (ids must be unique across them)")
    parser.add_argument("--articles", metavar="DIR", help="check each text against DIR/**/<id>.txt byte for byte")


def run_validate(args: argparse.Namespace) -> int:
    problems = validate.validate_files(args.files, args.articles)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    documents = [doc for path in args.files for doc in read_documents(path)]
    print(f"OK: {len(documents)} documents, {sum(len(d.entities) for d in documents)} entities")
    return 0


def configure_consistency(parser: argparse.ArgumentParser) -> None:
    """Report strings labelled differently or missed elsewhere."""
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--allow", metavar="FILE", help="allowlist of justified exceptions, string<TAB>reason per line")


def run_consistency(args: argparse.Namespace) -> int:
    allow = consistency.read_allowlist(args.allow) if args.allow else {}
    findings = consistency.check(read_documents(args.file), allow)
    sys.stdout.write(consistency.format_findings(findings))
    return 1 if findings else 0


def configure_stats(parser: argparse.ArgumentParser) -> None:
    """Print documents, characters and entities per label and source as Markdown."""
    parser.add_argument("file", metavar="FILE")


def run_stats(args: argparse.Namespace) -> int:
    sys.stdout.write(stats.stats_table(read_documents(args.file)))
    return 0


def configure_convert(parser: argparse.ArgumentParser) -> None:
    """Convert between gold JSONL, doccano JSONL and Label Studio JSON."""
    parser.add_argument("--to", required=True, choices=interop.FORMATS)
    parser.add_argument("--from", dest="source_format", choices=interop.FORMATS, help="default: guessed from IN")
    parser.add_argument("input", metavar="IN")
    parser.add_argument("output", metavar="OUT")


def run_convert(args: argparse.Namespace) -> int:
    source_format = args.source_format or interop.guess_format(args.input)
    documents = interop.read_any(args.input, source_format)
    interop.write_any(args.output, documents, args.to)
    print(f"{len(documents)} documents: {source_format} {args.input} -> {args.to} {args.output}", file=sys.stderr)
    return 0


Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "validate": (configure_validate, run_validate),
    "consistency": (configure_consistency, run_consistency),
    "stats": (configure_stats, run_stats),
    "convert": (configure_convert, run_convert),
    "predict": (batch.configure, batch.run),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zhaoshang-ner", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (configure, run) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=configure.__doc__, description=configure.__doc__)
        configure(sub)
        sub.set_defaults(run=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (OSError, ValueError) as exc:  # JsonlError is a ValueError and names file and line
        print(f"zhaoshang-ner {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
