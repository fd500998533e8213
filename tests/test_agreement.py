"""scripts/agreement.py: per-label agreement between two passes, disagreements by kind, adjudication outcome."""

import json
import subprocess
import sys

from conftest import ROOT

from zhaoshang_ner.documents import Document, Span, write_documents


def test_agreement_report(tmp_path):
    text = "青禾市招商引资签约项目，总投资86亿元。"
    store = tmp_path / "articles"
    (store / "a").mkdir(parents=True)
    (store / "a" / "d.txt").write_text(text, encoding="utf-8")
    import hashlib

    sha = hashlib.sha256(text.encode()).hexdigest()
    host, amount, person = Span(0, 3, "HOST_REGION", "青禾市"), Span(15, 19, "AMOUNT", "86亿元"), Span(0, 3, "PERSON", "青禾市")

    def write(name, spans):
        write_documents(tmp_path / name, [Document("a/d", text, spans, "a/d.txt", sha, "annotated", "t")])
        return str(tmp_path / name)

    first, second, final = write("1.jsonl", [host, amount]), write("2.jsonl", [person]), write("f.jsonl", [host])
    decisions = tmp_path / "decisions.tsv"
    decisions.write_text("a/d.txt\twrong_label\t青禾市@0-3 HOST_REGION\t青禾市@0-3 PERSON\tA\trule 12: the host\n",
                         encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "agreement.py"), first, second, "--adjudicated", final,
                           "--decisions", str(decisions), "--articles", str(store), "--output", str(tmp_path / "agree")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "agree.json").read_text(encoding="utf-8"))
    assert report["scores"]["micro"]["f1"] == 0.0 and report["documents"] == 1
    assert report["disagreements"] == {"AMOUNT/missed": 1, "HOST_REGION/wrong_label": 1}
    assert report["adjudication"] == {"first": 1, "second": 1}  # kept the host, dropped the amount
    markdown = (tmp_path / "agree.md").read_text(encoding="utf-8")
    assert "rule 12: the host" in markdown and "【青禾市】" in markdown
