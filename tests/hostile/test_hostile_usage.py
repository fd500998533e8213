"""Usage a newcomer gets wrong: a file whose format `convert` cannot guess (item 18), and a trial
`scripts/evaluate.py` run that must not overwrite the repository's reports (item 19)."""

import importlib.util
from pathlib import Path

import pytest

from zhaoshang_ner.cli import main as cli_main
from zhaoshang_ner.documents import Document, Span, write_documents
from zhaoshang_ner.interop import guess_format

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("evaluate_script_usage", ROOT / "scripts" / "evaluate.py")
evaluate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(evaluate)


@pytest.mark.parametrize(("name", "content"), [("notes.txt", "just some text\n"), ("broken.jsonl", '{"id": 1\n'),
                                               ("tasks.json", "<html></html>")])
def test_item_18_convert_with_an_unguessable_format_names_from(tmp_path, capsys, name, content):
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    assert cli_main(["convert", "--to", "gold", str(source), str(tmp_path / "out.jsonl")]) == 2
    err = capsys.readouterr().err
    assert str(source) in err and "--from {gold,doccano,labelstudio}" in err and "Traceback" not in err
    assert not (tmp_path / "out.jsonl").exists()


def test_item_18_format_is_guessed_from_content_not_suffix(tmp_path):
    listed = tmp_path / "export.txt"
    listed.write_text('[{"data": {"id": "a", "text": "x"}}]', encoding="utf-8")
    assert guess_format(listed) == "labelstudio"
    lines = tmp_path / "export.json"
    lines.write_text('{"id": "a", "text": "x", "label": []}\n', encoding="utf-8")
    assert guess_format(lines) == "doccano"


def test_item_19_evaluate_writes_its_report_in_the_current_directory(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data.jsonl"
    write_documents(data, [Document("d1", "临沂市签约", [Span(0, 3, "HOST_REGION", "临沂市")])])
    reports = sorted((ROOT / "reports").iterdir())
    monkeypatch.chdir(tmp_path)
    assert evaluate.main(["--baseline", "--data", str(data)]) == 0
    assert (tmp_path / "evaluation.md").is_file() and (tmp_path / "evaluation.json").is_file()
    assert sorted((ROOT / "reports").iterdir()) == reports
    assert "evaluation.md" in capsys.readouterr().out
