"""imbsk.benchmark: tables on hand-made results (no training), peers, warnings."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from skorch import NeuralNetClassifier

from imbsk.benchmark import (PEERS, make_method, per_dataset_table, run_benchmark, summarize,
                             warning_summary, win_tie_loss)


def _results(scores):
    """scores: {(dataset, method): fold scores} -> a run_benchmark-like frame."""
    rows = [{"dataset": d, "method": m, "fold": f, "balanced_accuracy": s, "g_mean": s,
             "macro_f1": s} for (d, m), fold_scores in scores.items()
            for f, s in enumerate(fold_scores)]
    return pd.DataFrame(rows)


def test_win_tie_loss_follows_the_paired_t_test():
    results = _results({
        ("d1", "ref"): [0.5, 0.6, 0.7, 0.8, 0.9], ("d1", "m"): [0.6, 0.7, 0.8, 0.9, 1.0],
        ("d2", "ref"): [0.5, 0.6, 0.7, 0.8, 0.9], ("d2", "m"): [0.5, 0.6, 0.7, 0.8, 0.9],
        ("d3", "ref"): [0.5, 0.6, 0.7, 0.8, 0.9], ("d3", "m"): [0.3, 0.5, 0.6, 0.6, 0.8],
        ("d4", "ref"): [0.5, 0.6, 0.7, 0.8, 0.9], ("d4", "m"): [0.9, 0.2, 0.8, 0.6, 0.7],
    })
    counts = win_tie_loss(results, "ref")
    # d1: +0.1 on every fold (t = inf, a win); d2: all differences zero (NaN p, a tie);
    # d3: always lower (a loss); d4: noise (a tie)
    assert counts.loc["m"].to_dict() == {"wins": 1, "ties": 2, "losses": 1}
    assert counts.sum(axis=1).tolist() == [4]


def test_win_tie_loss_pairs_by_fold_and_skips_missing_folds():
    results = _results({("d", "ref"): [0.5, 0.6, 0.7], ("d", "m"): [0.7, 0.8, np.nan]})
    assert win_tie_loss(results, "ref").loc["m"].to_dict() == {"wins": 1, "ties": 0,
                                                                 "losses": 0}
    single = _results({("d", "ref"): [0.5], ("d", "m"): [0.9]})
    assert win_tie_loss(single, "ref").loc["m", "ties"] == 1


def test_win_tie_loss_names_a_missing_reference():
    with pytest.raises(ValueError, match=r"reference 'rf' is not a method .* \['m', 'ref'\]"):
        win_tie_loss(_results({("d", "ref"): [0.5, 0.6], ("d", "m"): [0.7, 0.8]}), "rf")


def test_summary_std_is_the_mean_over_datasets_of_the_fold_std():
    results = _results({("d1", "balanced_rf"): [0.6, 0.8], ("d2", "balanced_rf"): [0.9, 0.9],
                        ("d1", "inverse"): [0.5, 0.5], ("d2", "inverse"): [0.7, 0.9]})
    table = summarize(results)
    assert list(table.index) == ["balanced_rf", "inverse"]
    assert table["kind"].tolist() == ["peer", "imbsk"]
    np.testing.assert_allclose(table["balanced_accuracy"], [0.8, 0.65])
    np.testing.assert_allclose(table["balanced_accuracy_std"], [np.sqrt(0.02) / 2] * 2)


def test_per_dataset_rows_follow_the_imbalance_ratio():
    results = _results({("yeast5", "m"): [0.5, 0.7], ("other", "m"): [0.1, 0.1],
                        ("pima", "m"): [0.6, 0.6]})
    assert list(per_dataset_table(results).index) == ["pima", "yeast5", "other"]
    with pytest.raises(ValueError, match="aggfunc must be 'mean' or 'std', got 'median'"):
        per_dataset_table(results, aggfunc="median")


def test_warning_summary_names_one_class_fits_and_counts_the_others_by_kind():
    one_class = "After training, X predicts one class (negative) for every validation row."
    table = pd.DataFrame([
        ("yeast5", "none", 2, "UserWarning", one_class, "a.py:1"),
        ("glass2", "none", 1, "UserWarning", one_class, "a.py:1"),
        ("glass2", "none", 1, "UserWarning", one_class, "a.py:1"),  # same fit twice
        ("glass2", "focal", 0, "UserWarning", one_class, "a.py:1"),
        ("glass2", "logreg", 0, "ConvergenceWarning", "lbfgs failed (iter=100)", "b.py:2"),
        ("glass2", "logreg", 0, "ConvergenceWarning", "lbfgs failed (iter=200)", "b.py:2"),
        ("pima", "logreg", 1, "ConvergenceWarning", "lbfgs failed (iter=100)", "b.py:2"),
        ("pima", "preprocessing", 1, "UserWarning", "unknown categories", "c.py:3"),
    ], columns=["dataset", "method", "fold", "category", "message", "location"])
    named, others = warning_summary(table)
    assert named.values.tolist() == [["focal", "glass2", 0], ["none", "glass2", 1],
                                     ["none", "yeast5", 2]]
    assert others.to_dict("records") == [
        {"category": "ConvergenceWarning", "message": "lbfgs failed (iter=100)", "fits": 2,
         "count": 3, "methods": "logreg"},
        {"category": "UserWarning", "message": "unknown categories", "fits": 1, "count": 1,
         "methods": "preprocessing"}]
    named, others = warning_summary(table.iloc[:0])
    assert named.empty and others.empty


def test_recorded_warnings_are_returned_or_shown_after_the_run(cannot_learn):
    options = dict(peers=[], folds=2, epochs=1, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none escapes while recording
        results, table = run_benchmark(["glass2"], [cannot_learn], return_warnings=True,
                                       **options)
    assert len(results) == 2
    assert table["fold"].tolist() == [0, 1]
    assert table["message"].str.contains("predicts one class").all()
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")  # Python's: once per message and location
        run_benchmark(["glass2"], [cannot_learn], **options)
    assert len(shown) == 1 and "predicts one class" in str(shown[0].message)


def test_plain_skorch_peer_trains_on_one_thread_like_small_imbsk_nets(monkeypatch,
                                                                      imbalanced_data):
    threads, train_step = [], NeuralNetClassifier.train_step

    def counting(net, *args, **kwargs):
        threads.append(torch.get_num_threads())
        return train_step(net, *args, **kwargs)

    monkeypatch.setattr(NeuralNetClassifier, "train_step", counting)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        make_method("skorch_mlp", epochs=1).fit(*imbalanced_data)
        assert torch.get_num_threads() == 2  # restored
    finally:
        torch.set_num_threads(before)
    assert threads and set(threads) == {1}


@pytest.mark.parametrize("name", PEERS)
def test_peers_use_one_process_per_fit(name):
    """The benchmark runs one fit at a time: a peer's own n_jobs would oversubscribe."""
    peer = make_method(name, epochs=1)
    n_jobs = peer.get_params().get("n_jobs") if hasattr(peer, "get_params") else None
    assert n_jobs in (None, 1)
