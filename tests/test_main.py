"""The main job, ``python -m imbsk``."""

import re
import subprocess
import sys

import pandas as pd
import pytest

from imbsk.__main__ import main


def test_quick_run_writes_table_csv_and_png(tmp_path, capsys):
    assert main(["--quick", "--epochs", "3", "--folds", "2", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "| method" in printed and "mean_rank" in printed
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["dataset"]) == {"ecoli3", "glass2", "yeast5"}
    assert {"logreg_balanced", "balanced_rf", "skorch_mlp", "cb_focal"} <= set(results["method"])
    assert (tmp_path / "summary.md").read_text().startswith("## Mean over datasets")
    assert (tmp_path / "balanced_accuracy.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, match", [
    (["--datasets", "abalone"], r"Unknown dataset\(s\) \['abalone'\]; valid ones are \[.*'yeast5'"),
    (["--strategies", "cb-focal"], r"Unknown strategy\(ies\) \['cb-focal'\]; valid ones are"),
])
def test_wrong_names_list_the_valid_ones(args, match, tmp_path, capsys):
    assert main(args + ["--out", str(tmp_path)]) == 2
    assert re.search(match, capsys.readouterr().err)


def test_module_entry_point_help():
    out = subprocess.run([sys.executable, "-m", "imbsk", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "--quick" in out and "--strategies" in out
