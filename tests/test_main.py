"""The main job, ``python -m imbsk``."""

import os
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from imbsk.__main__ import QUICK, main, parse_args, render_report

FAST = ["--epochs", "2", "--folds", "2"]


def _markdown_tables(text):
    """Every Markdown table of ``text`` as a DataFrame of strings (first column = index)."""
    tables, rows = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif rows:
            header, body = rows[0], rows[2:]  # rows[1] is the |:---| rule
            tables.append(pd.DataFrame(body, columns=header).set_index(header[0]))
            rows = []
    return tables


def test_quick_run_writes_table_csv_and_png(tmp_path, capsys):
    assert main(["--quick", *FAST, "--strategies", "cb_focal", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "| method" in printed and "mean_rank" in printed
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["dataset"]) == set(QUICK["datasets"])
    assert set(results["method"]) == {"logreg_balanced", "balanced_rf", "skorch_mlp", "cb_focal"}
    text = (tmp_path / "summary.md").read_text()
    assert text.startswith("## Mean over datasets (2-fold stratified CV, 2 epochs")
    summary, per_dataset = _markdown_tables(text)
    assert summary.loc["cb_focal", "kind"] == "imbsk"
    assert (summary.drop(index="cb_focal")["kind"] == "peer").all()
    assert " ± " in summary.loc["cb_focal", "balanced_accuracy"]
    wins_ties_losses = summary.loc["cb_focal", ["wins", "ties", "losses"]].astype(int)
    assert wins_ties_losses.sum() == len(QUICK["datasets"])
    assert [c.removesuffix(" (peer)") for c in per_dataset.columns] == list(summary.index)
    assert [label.split(" (IR ")[0] for label in per_dataset.index] == QUICK["datasets"]
    assert (tmp_path / "balanced_accuracy.png").read_bytes()[:4] == b"\x89PNG"


def test_warnings_go_to_the_summary_and_only_the_progress_bar_is_shown(
        cannot_learn, tmp_path, capsys):
    argv = ["--quick", "--datasets=glass2", *FAST, f"--strategies={cannot_learn}",
            "--peers=logreg_balanced", f"--out={tmp_path}"]
    with warnings.catch_warnings(record=True) as escaped:
        warnings.simplefilter("always")
        assert main(argv) == 0
    assert [str(w.message) for w in escaped] == []
    printed = capsys.readouterr()
    lines = [line for line in re.split(r"[\r\n]", printed.err) if line.strip()]
    assert lines and all(line.startswith("imbsk benchmark:") for line in lines)
    named = "- cannot_learn: glass2 folds 0, 1"
    text = (tmp_path / "summary.md").read_text()
    section = text.partition("## Warnings\n\n")[2]
    assert section.startswith("Predicted one class for every test row (2 fits")  # and
    assert "One-class fits (2):" in section and section.count(named) == 2  # it warned
    assert section in printed.out
    results = pd.read_csv(tmp_path / "results.csv")
    assert results.groupby("method")["predicted_classes"].max().to_dict() == {
        "cannot_learn": 1, "logreg_balanced": 2}
    recorded = pd.read_csv(tmp_path / "warnings.csv")
    assert recorded[["method", "fold"]].values.tolist() == [["cannot_learn", 0],
                                                            ["cannot_learn", 1]]
    assert recorded["message"].str.contains("predicts one class").all()


def test_a_run_without_warnings_says_so(tmp_path, capsys):
    argv = ["--quick", "--datasets=glass2", *FAST, "--strategies=", "--peers=logreg_balanced",
            f"--out={tmp_path}"]
    assert main(argv) == 0
    assert "## Warnings\n\nNo warning was raised during the run." in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "warnings.csv").empty


@pytest.mark.parametrize("argv", [
    ["--quick", "--datasets", "glass2", "--epochs", "2", "--folds", "2"],
    ["--quick", "--datasets=glass2", "--epochs=2", "--folds=2"],
])
def test_both_option_forms_are_honoured_with_quick(argv, tmp_path):
    assert main(argv + ["--strategies=inverse", "--peers", "logreg_balanced",
                        f"--out={tmp_path}"]) == 0
    results = pd.read_csv(tmp_path / "results.csv")
    assert set(results["dataset"]) == {"glass2"}
    assert set(results["fold"]) == {0, 1}
    assert set(results["method"]) == {"inverse", "logreg_balanced"}
    assert "(2-fold stratified CV, 2 epochs, 1 dataset)" in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize("argv, expected", [
    ([], {"datasets": None, "folds": 5, "epochs": 30}),
    (["--quick"], QUICK),
    (["--quick", "--datasets=glass2"], {**QUICK, "datasets": ["glass2"]}),
    (["--quick", "--folds", "4"], {**QUICK, "folds": 4}),
    (["--epochs=7", "--quick"], {**QUICK, "epochs": 7}),
    (["--datasets", "pima, yeast5"], {"datasets": ["pima", "yeast5"], "epochs": 30}),
])
def test_defaults_fill_only_what_was_left_out(argv, expected):
    args = parse_args(argv)
    assert {name: getattr(args, name) for name in expected} == expected


@pytest.mark.parametrize("argv, option, rule", [
    (["--epochs", "0"], "--epochs", ">= 1"),
    (["--epochs=-3"], "--epochs", ">= 1"),
    (["--epochs", "two"], "--epochs", ">= 1"),
    (["--folds", "1"], "--folds", ">= 2"),
    (["--folds=0"], "--folds", ">= 2"),
    (["--seed", "-1"], "--seed", ">= 0"),
    (["--datasets="], "--datasets", "at least one dataset"),
])
def test_bad_values_are_argparse_errors_naming_the_option(argv, option, rule, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert f"argument {option}:" in error and rule in error


def test_no_method_at_all_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--strategies=", "--peers="])
    assert exit_info.value.code == 2
    assert "--strategies and --peers are both empty" in capsys.readouterr().err


@pytest.mark.parametrize("args, match", [
    (["--datasets", "abalone"], r"Unknown dataset\(s\) \['abalone'\]; valid ones are \[.*'yeast5'"),
    (["--strategies", "cb-focal"], r"Unknown strategy\(ies\) \['cb-focal'\]; valid ones are"),
])
def test_wrong_names_list_the_valid_ones(args, match, tmp_path, capsys):
    assert main(args + ["--out", str(tmp_path)]) == 2
    assert re.search(match, capsys.readouterr().err)


def test_module_entry_point_help():
    env = {**os.environ, "COLUMNS": "200"}
    out = subprocess.run([sys.executable, "-m", "imbsk", "--help"], capture_output=True,
                         text=True, check=True, env=env).stdout
    assert "--quick" in out and "--strategies" in out
    assert "['" not in out and "(default: default, none, inverse, effective_number" in " ".join(out.split())
    assert max(len(line) for line in out.splitlines()) <= 100


def _synthetic_results():
    """Three folds on three KEEL names (given out of imbalance-ratio order), known scores."""
    folds = np.arange(3)
    scores = {  # dataset -> method -> fold scores
        "yeast5": {"balanced_rf": [0.80, 0.82, 0.81], "logreg_balanced": [0.60, 0.61, 0.62],
                   "cb_focal": [0.70, 0.71, 0.73], "inverse": [0.80, 0.82, 0.81]},
        "pima": {"balanced_rf": [0.70, 0.72, 0.71], "logreg_balanced": [0.70, 0.70, 0.71],
                 "cb_focal": [0.80, 0.83, 0.81], "inverse": [0.60, 0.80, 0.70]},
        "glass2": {"balanced_rf": [0.70, 0.70, 0.70], "logreg_balanced": [0.50, 0.60, 0.50],
                   "cb_focal": [0.90, 0.60, 0.75], "inverse": [0.40, 0.50, 0.45]},
    }
    rows = [{"dataset": d, "method": m, "fold": f, "balanced_accuracy": s, "g_mean": s,
             "macro_f1": s, "fit_seconds": 0.1}
            for d, methods in scores.items() for m, fold_scores in methods.items()
            for f, s in zip(folds, fold_scores)]
    return pd.DataFrame(rows)


def test_report_marks_peers_counts_wins_and_orders_by_rank_and_imbalance():
    text, means, stds = render_report(_synthetic_results(), folds=3, epochs=1)
    summary, per_dataset = _markdown_tables(text)
    assert "balanced_rf, the peer with the best mean rank" in text
    assert summary["kind"].to_dict() == {"cb_focal": "imbsk", "balanced_rf": "peer",
                                         "inverse": "imbsk", "logreg_balanced": "peer"}
    # cb_focal: better on pima, worse on yeast5, not distinguishable on glass2 (noisy)
    assert summary.loc["cb_focal", ["wins", "ties", "losses"]].tolist() == ["1", "1", "1"]
    # inverse: equal to balanced_rf on every fold of yeast5 (a tie), worse on glass2
    assert summary.loc["inverse", ["wins", "ties", "losses"]].tolist() == ["0", "2", "1"]
    assert summary.loc["balanced_rf", "wins"] == "—"
    assert summary.loc["cb_focal", "balanced_accuracy"] == "0.759 ± 0.060"
    assert list(per_dataset.columns) == ["cb_focal", "balanced_rf (peer)", "inverse",
                                         "logreg_balanced (peer)"]
    assert list(per_dataset.index) == ["pima (IR 1.9)", "glass2 (IR 11.6)", "yeast5 (IR 32.7)"]
    assert list(means.index) == list(per_dataset.index) == list(stds.index)
    assert per_dataset.loc["glass2 (IR 11.6)", "balanced_rf (peer)"] == "0.700 ± 0.000"

