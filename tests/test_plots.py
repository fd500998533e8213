"""The benchmark SVG and table: bar lengths follow the values, gaps stay visible, latest record wins."""

import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from zhaoshang_ner.plots import grouped_bars_svg

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("plot_benchmarks", ROOT / "scripts" / "plot_benchmarks.py")
plot_benchmarks = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plot_benchmarks)
NS = "{http://www.w3.org/2000/svg}"


def bars(svg: str) -> dict[str, float]:
    root = ET.fromstring(svg)
    return {r.find(f"{NS}title").text: float(r.get("width")) for r in root.iter(f"{NS}rect") if r.get("class") == "bar"}


def test_bar_lengths_are_proportional_and_missing_values_are_not_bars():
    svg = grouped_bars_svg({"a": {"x": 80.0, "y": 20.0}, "b<&>": {"x": 40.0}}, ["x", "y"], "t")
    widths = bars(svg)
    assert set(widths) == {"a, x: 80.0", "a, y: 20.0", "b<&>, x: 40.0"}
    assert widths["a, x: 80.0"] == 2 * widths["b<&>, x: 40.0"] == 4 * widths["a, y: 20.0"]
    assert svg.count("not measured") == 1


def test_script_writes_table_and_plot_with_commands(tmp_path):
    public = tmp_path / "public.jsonl"
    records = [{"encoder": "ours", "dataset": "msra", "split": "test", "micro_f1": 50.0, "command": "old"},
               {"encoder": "ours", "dataset": "msra", "split": "test", "micro_f1": 61.5, "command": "new"},
               {"encoder": "tkit", "dataset": "msra", "split": "test", "micro_f1": 30.0, "command": "c2"}]
    public.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    cv = tmp_path / "cv.json"
    cv.write_text(json.dumps({"pooled": {"micro": {"f1": 0.4321}}, "command": "cvcmd"}), encoding="utf-8")
    svg, md = tmp_path / "b.svg", tmp_path / "b.md"
    assert plot_benchmarks.main(["--public", str(public), "--cv", f"ours={cv}", "--encoder", "ours",
                                 "--encoder", "tkit", "--encoder", "m3e", "--svg", str(svg), "--markdown", str(md)]) == 0
    table = md.read_text(encoding="utf-8")
    assert "| ours | 61.5 | 43.2 |" in table
    assert "| tkit | 30.0 | not measured |" in table and "| m3e | not measured | not measured |" in table
    assert "`new`" in table and "`old`" not in table and "`cvcmd`" in table
    assert set(bars(svg.read_text(encoding="utf-8"))) == {"ours, msra test: 61.5", "ours, gold CV micro-F1: 43.2",
                                                         "tkit, msra test: 30.0"}
