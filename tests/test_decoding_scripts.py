"""scripts/cross_validate.py (parallel split jobs on one state file, every decoding variant reported) and
scripts/set_decoding.py (decoding steps set on a trained model from a config)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT
from zhaoshang_ner.documents import Document, Span, read_documents


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
    early = subprocess.run([*cmd, "--report-only"], capture_output=True, text=True, cwd=ROOT)  # a run stopped early
    assert early.returncode == 0, early.stderr[-2000:]
    report = json.loads((output.parent / "cv-t-plain.json").read_text(encoding="utf-8"))
    assert report["folds_k"] == "1 of 2" and [f["fold"] for f in report["folds"]] == [1]
    assert "Folds: 1 of 2" in (output.parent / "cv-t-plain.md").read_text(encoding="utf-8")
    second = subprocess.run([*cmd, "--splits", "0"], capture_output=True, text=True, cwd=ROOT)
    assert second.returncode == 0, second.stderr[-2000:]
    variants = ["plain", "consistency", "roles", "consistency+roles", "roles+merge", "roles+names",
                "roles+names+project-heads", "roles+names+name-heads"]
    for variant in variants:
        report = json.loads((output.parent / f"cv-t-{variant}.json").read_text(encoding="utf-8"))
        assert report["folds_k"] == 2 and report["pooled_counts"]  # both jobs' splits are pooled
        assert sum(c["gold"] for c in report["pooled_counts"].values()) == sum(len(d.entities) for d in docs)
    bad = subprocess.run([*cmd[:-1], "--splits", "0"], capture_output=True, text=True, cwd=ROOT)  # no --resume
    assert bad.returncode == 2 and "add --resume" in bad.stderr
    outside = subprocess.run([*cmd, "--splits", "2"], capture_output=True, text=True, cwd=ROOT)
    assert outside.returncode == 2 and "numbered 0 to 1" in outside.stderr


def test_saved_fold_models_are_rescored_without_retraining(tmp_path):
    """--fold-models keeps each fold model under its split's key; a second run with a fresh report loads
    them instead of training and scores exactly the same spans; a run of another recipe refuses them."""
    gold = read_documents(ROOT / "annotations" / "gold.jsonl")
    docs = [Document(d.id, d.text[:150], [s for s in d.entities if s.end <= 150]) for d in gold[:4]]
    train = tmp_path / "gold.jsonl"
    train.write_text("".join(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    folds = tmp_path / "folds"
    cmd = [sys.executable, str(ROOT / "scripts" / "cross_validate.py"), "--config", str(ROOT / "configs" / "tiny.yaml"),
           "--set", f"train_file={train}", "--set", f"output_dir={tmp_path / 'run'}", "--set", "epochs=1",
           "--set", f"vocab={ROOT / 'models' / 'zh-news-encoder-small' / 'vocab.txt'}", "--set", "device=cpu",
           "--folds", "2", "--fold-models", str(folds)]
    first = subprocess.run([*cmd, "--output", str(tmp_path / "a" / "cv.json")], capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr[-2000:]
    assert len(list(folds.glob("*/model.safetensors"))) == 2 and "not retrained" not in first.stdout
    again = subprocess.run([*cmd, "--output", str(tmp_path / "b" / "cv.json")], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0, again.stderr[-2000:]
    assert again.stdout.count("saved before, not retrained") == 2 and "fold epoch" not in again.stderr

    def spans(folder):
        fold_lines = (tmp_path / folder / "cv.state.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["variants"][""]["predictions"] for line in fold_lines]

    assert spans("a") == spans("b")
    other = subprocess.run([*cmd, "--set", "epochs=2", "--output", str(tmp_path / "c" / "cv.json")],
                           capture_output=True, text=True, cwd=ROOT)  # another recipe must not reuse them
    assert other.returncode == 1 and "differing: epochs" in other.stderr
    assert "trained by another recipe" in other.stderr and not (tmp_path / "c" / "cv.state.jsonl").exists()


def test_set_decoding_rewrites_only_the_decoding_steps(tiny_model_dir, tmp_path, capsys):
    import importlib.util
    import shutil

    from zhaoshang_ner.predictor import Predictor

    spec = importlib.util.spec_from_file_location("set_decoding", ROOT / "scripts" / "set_decoding.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    before = json.loads((model / "config.json").read_text(encoding="utf-8"))
    docs = [Document("t", "林晓然在江苏南京", [Span(0, 3, "PERSON", "林晓然"), Span(4, 6, "HOST_REGION", "江苏"),
                                            Span(6, 8, "HOST_REGION", "南京")])]
    train = tmp_path / "gold.jsonl"
    train.write_text("".join(json.dumps(d.to_json(), ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    args = ["--model", str(model), "--config", str(ROOT / "configs" / "tiny.yaml"), "--set", f"train_file={train}",
            "--set", "merge_touching=names", "--set", "region_roles=true"]
    assert script.main(args) == 0
    after = json.loads((model / "config.json").read_text(encoding="utf-8"))
    assert after["region_roles"] is True and ["PERSON", "PERSON"] in after["merge_pairs"]
    assert ["HOST_REGION", "HOST_REGION"] not in after["merge_pairs"]  # they touch in the training documents
    assert {k: v for k, v in after.items() if k not in ("region_roles", "merge_pairs")} == \
        {k: v for k, v in before.items() if k not in ("region_roles", "merge_pairs")}
    assert Predictor.from_pretrained(model, device="cpu").model.config.merge_pairs == after["merge_pairs"]
    assert "region_roles: true  (changed)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        script.main([*args, "--set", "merge_touching=all"])
    assert exit_.value.code == 2 and json.loads((model / "config.json").read_text(encoding="utf-8")) == after
