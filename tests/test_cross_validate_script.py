"""scripts/cross_validate.py: parallel split jobs on one state file, and every decoding variant reported."""

import json
import subprocess
import sys

from conftest import ROOT
from zhaoshang_ner.documents import Document, read_documents


def test_two_split_jobs_write_one_report_per_decoding_variant(tmp_path):
    gold = read_documents(ROOT / "annotations" / "gold.jsonl")
    docs = [Document(d.id, d.text[:200], [s for s in d.entities if s.end <= 200]) for d in gold[:4]]
    train = tmp_path / "gold.jsonl"
    train.write_text("".join(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    output = tmp_path / "reports" / "cv-t.json"
    cmd = [sys.executable, str(ROOT / "scripts" / "cross_validate.py"), "--config", str(ROOT / "configs" / "tiny.yaml"),
           "--set", f"train_file={train}", "--set", f"output_dir={tmp_path / 'run'}", "--set", "epochs=1",
           "--set", f"vocab={ROOT / 'models' / 'zh-news-encoder-small' / 'vocab.txt'}", "--set", "device=cpu",
           "--folds", "2", "--decoding-variants", "--output", str(output), "--resume"]
    first = subprocess.run([*cmd, "--splits", "1"], capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr[-2000:]
    assert "the reports follow" in first.stdout and not list(output.parent.glob("*.md"))
    second = subprocess.run([*cmd, "--splits", "0"], capture_output=True, text=True, cwd=ROOT)
    assert second.returncode == 0, second.stderr[-2000:]
    variants = ["plain", "consistency", "roles", "consistency+roles", "roles+merge", "roles+names"]
    for variant in variants:
        report = json.loads((output.parent / f"cv-t-{variant}.json").read_text(encoding="utf-8"))
        assert report["folds_k"] == 2 and report["pooled_counts"]  # both jobs' splits are pooled
        assert sum(c["gold"] for c in report["pooled_counts"].values()) == sum(len(d.entities) for d in docs)
    bad = subprocess.run([*cmd[:-1], "--splits", "0"], capture_output=True, text=True, cwd=ROOT)  # no --resume
    assert bad.returncode == 2 and "add --resume" in bad.stderr
    outside = subprocess.run([*cmd, "--splits", "2"], capture_output=True, text=True, cwd=ROOT)
    assert outside.returncode == 2 and "numbered 0 to 1" in outside.stderr
