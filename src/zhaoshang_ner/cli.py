"""The `zhaoshang-ner` command: annotation tools (validate, consistency, stats, convert, preannotate,
render, apply) and `predict`.

Each subcommand is a `(configure, run)` pair in `COMMANDS`; adding one is adding a pair. `run`
returns the exit status: 0 clean, 1 something was flagged, 2 the input could not be read.
Annotation files are stand-off: their texts are read from the articles folder (`--articles`,
default `../shared/articles` or `$ZHAOSHANG_ARTICLES`).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Callable, Sequence

from zhaoshang_ner import batch, consistency, interop, preannotate, stats, validate
from zhaoshang_ner.documents import STATUSES, TRAINABLE, read_documents, read_gold, write_documents, write_text_atomic
from zhaoshang_ner.markup import apply_file, render_file
from zhaoshang_ner.sources import ArticleStore


def add_articles(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", metavar="DIR",
                        help="folder the annotations' sources are in (default: $ZHAOSHANG_ARTICLES or ../shared/articles)")


def configure_validate(parser: argparse.ArgumentParser) -> None:
    """Check stand-off annotation files against the annotation contract and their sources."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="annotation JSONL files (ids and sources unique across them)")
    add_articles(parser)


def run_validate(args: argparse.Namespace) -> int:
    store = ArticleStore(args.articles)
    problems = validate.validate_files(args.files, store)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    documents = [doc for path in args.files for doc in read_documents(path, store)]
    by_status = ", ".join(f"{sum(d.status == s for d in documents)} {s}" for s in STATUSES)
    print(f"OK: {len(documents)} documents ({by_status}), {sum(len(d.entities) for d in documents)} entities")
    return 0


def configure_consistency(parser: argparse.ArgumentParser) -> None:
    """Report strings labelled differently or missed elsewhere (annotated and reviewed documents)."""
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--allow", metavar="FILE", help="allowlist of justified exceptions, string<TAB>reason per line")
    add_articles(parser)


def run_consistency(args: argparse.Namespace) -> int:
    allow = consistency.read_allowlist(args.allow) if args.allow else {}
    findings = consistency.check(read_gold(args.files, args.articles), allow)
    sys.stdout.write(consistency.format_findings(findings))
    return 1 if findings else 0


def configure_stats(parser: argparse.ArgumentParser) -> None:
    """Print documents, characters and entities per label and source folder as Markdown."""
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--all", action="store_true", help="count drafts too (default: annotated and reviewed)")
    add_articles(parser)


def run_stats(args: argparse.Namespace) -> int:
    documents = read_gold(args.files, args.articles, STATUSES if args.all else TRAINABLE)
    sys.stdout.write(stats.stats_table(documents))
    return 0


def configure_convert(parser: argparse.ArgumentParser) -> None:
    """Convert between stand-off gold JSONL, doccano JSONL and Label Studio JSON (tool files carry the text)."""
    parser.add_argument("--to", required=True, choices=interop.FORMATS)
    parser.add_argument("--from", dest="source_format", choices=interop.FORMATS, help="default: guessed from IN")
    parser.add_argument("input", metavar="IN")
    parser.add_argument("output", metavar="OUT")
    add_articles(parser)


def run_convert(args: argparse.Namespace) -> int:
    try:
        source_format = args.source_format or interop.guess_format(args.input)
    except ValueError as exc:
        raise ValueError(f"{exc}; name the format with --from {{{','.join(interop.FORMATS)}}}") from None
    store = ArticleStore(args.articles)
    documents = interop.read_any(args.input, source_format, store)
    interop.write_any(args.output, documents, args.to, store)
    print(f"{len(documents)} documents: {source_format} {args.input} -> {args.to} {args.output}", file=sys.stderr)
    return 0


def configure_render(parser: argparse.ArgumentParser) -> None:
    """Write documents as inline markup ({{LABEL:span}}) to read and correct; a working file with texts."""
    parser.add_argument("file", metavar="FILE", help="stand-off annotation JSONL")
    parser.add_argument("--output", "-o", required=True, metavar="OUT", help="markup file, or - for stdout")
    parser.add_argument("--sources", nargs="+", metavar="SOURCE", help="only these sources (default: all)")
    parser.add_argument("--status", choices=STATUSES, help="only documents with this status")
    parser.add_argument("--bare", action="store_true", help="texts without spans, for an independent pass")
    add_articles(parser)


def run_render(args: argparse.Namespace) -> int:
    documents = read_documents(args.file, ArticleStore(args.articles))
    if args.sources:
        wanted = set(args.sources)
        unknown = wanted - {doc.source for doc in documents}
        if unknown:
            raise ValueError(f"not in {args.file}: {', '.join(sorted(unknown))}")
        documents = [doc for doc in documents if doc.source in wanted]
    if args.status:
        documents = [doc for doc in documents if doc.status == args.status]
    content = render_file(documents, with_spans=not args.bare)
    if args.output == "-":
        sys.stdout.write(content)
    else:
        write_text_atomic(args.output, content)
        print(f"{len(documents)} documents -> {args.output}", file=sys.stderr)
    return 0


def configure_apply(parser: argparse.ArgumentParser) -> None:
    """Apply corrected inline markup to a stand-off annotation file (spans checked against the sources)."""
    parser.add_argument("markup", metavar="MARKUP", help="markup file: `=== <source>` header lines, then the text")
    parser.add_argument("--into", required=True, metavar="FILE", help="stand-off JSONL to update (created if missing)")
    parser.add_argument("--annotator", required=True, metavar="WHO", help="who made these annotations, e.g. human:wang")
    parser.add_argument("--status", default="annotated", choices=STATUSES)
    add_articles(parser)


def run_apply(args: argparse.Namespace) -> int:
    store = ArticleStore(args.articles)
    target = Path(args.into)
    existing = read_documents(target, store) if target.exists() else []
    content = Path(args.markup).read_text(encoding="utf-8")
    merged, done, errors = apply_file(content, existing, store, args.annotator, args.status)
    if done:
        write_documents(target, merged)
    for line in done:
        print(f"applied {line}")
    for line in errors:
        print(f"NOT applied {line}", file=sys.stderr)
    print(f"{len(done)} applied, {len(errors)} with errors -> {target}", file=sys.stderr)
    return 1 if errors else 0


Command = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]
COMMANDS: dict[str, Command] = {
    "validate": (configure_validate, run_validate),
    "consistency": (configure_consistency, run_consistency),
    "stats": (configure_stats, run_stats),
    "convert": (configure_convert, run_convert),
    "preannotate": (preannotate.configure, preannotate.run),
    "render": (configure_render, run_render),
    "apply": (configure_apply, run_apply),
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
    except (OSError, ValueError) as exc:  # JsonlError, SourceError and MarkupError are ValueErrors
        print(f"zhaoshang-ner {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # a Ctrl-C before a command's own handler is set (e.g. loading a model)
        return 128 + getattr(exc, "signum", signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
