"""The `zhaoshang-ner` command: exit codes, messages instead of tracebacks, and the README's stats table."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from zhaoshang_ner.cli import main

ROOT = Path(__file__).parents[1]
GOLD = ROOT / "annotations" / "gold.jsonl"
ALLOW = ROOT / "annotations" / "consistency-allow.txt"
SHARED_ARTICLES = ROOT.parent / "shared" / "articles"


@pytest.fixture
def malformed(tmp_path) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "a", "text": "x", "entities": []}\n{"id": "b", "text": \n', encoding="utf-8")
    return path


def test_validate_gold_is_ok(capsys):
    articles = ["--articles", str(SHARED_ARTICLES)] if SHARED_ARTICLES.is_dir() else []
    assert main(["validate", str(GOLD), *articles]) == 0
    assert re.match(r"OK: \d{4} documents \(0 draft, \d+ annotated, \d+ reviewed\), \d+ entities", capsys.readouterr().out)


def test_validate_malformed_line_exits_1(capsys, malformed):
    assert main(["validate", str(malformed)]) == 1
    out = capsys.readouterr()
    assert f"{malformed}:2 id=?: invalid JSON" in out.out and "Traceback" not in out.err


@pytest.mark.parametrize("command", [["stats"], ["consistency"], ["convert", "--to", "doccano"]])
def test_other_commands_report_malformed_input_and_exit_2(capsys, malformed, tmp_path, command):
    extra = [str(tmp_path / "out.jsonl")] if command[0] == "convert" else []
    assert main([*command, str(malformed), *extra]) == 2
    err = capsys.readouterr().err
    assert f"error: {malformed}:2: invalid JSON" in err and "Traceback" not in err


def test_missing_file_is_an_error_not_a_traceback(capsys, tmp_path):
    assert main(["stats", str(tmp_path / "nope.jsonl")]) == 2
    assert "No such file" in capsys.readouterr().err


def test_consistency_exit_codes(capsys):
    assert main(["consistency", str(GOLD)]) == 1
    assert main(["consistency", str(GOLD), "--allow", str(ALLOW)]) == 0
    assert capsys.readouterr().out.endswith("0 finding(s)\n")


def test_convert_round_trip(tmp_path):
    exported, back = tmp_path / "gold.json", tmp_path / "back.jsonl"
    assert main(["convert", "--to", "labelstudio", str(GOLD), str(exported)]) == 0
    assert main(["convert", "--from", "labelstudio", "--to", "gold", str(exported), str(back)]) == 0
    assert back.read_bytes() == GOLD.read_bytes()


def test_console_entry_point_runs_without_traceback(malformed):
    done = subprocess.run([sys.executable, "-m", "zhaoshang_ner.cli", "stats", str(malformed)], capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_readme_has_current_stats_table(capsys):
    assert main(["stats", str(GOLD)]) == 0
    table = capsys.readouterr().out
    assert table in (ROOT / "annotations" / "README.md").read_text(encoding="utf-8")


def test_ctrl_c_before_a_command_sets_its_handler_exits_130_without_traceback(monkeypatch, capsys, tmp_path):
    """`zhaoshang-ner predict` stopped before its signal handler is set: exit 130 like zhaoshang-ner-predict."""
    from zhaoshang_ner import batch

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "open_output", interrupted)
    text = tmp_path / "a.txt"
    text.write_text("总投资10亿元。", encoding="utf-8")
    assert main(["predict", str(text), "--output", str(tmp_path / "out.jsonl")]) == 130
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()
