"""Choosing the defaults by nested validation (issue "Good by default").

For every KEEL dataset (raw: one-hot for nominal columns only, no scaler) and every outer
fold (5-fold stratified, seed 0), each candidate configuration is scored by an inner
3-fold stratified CV (seed 1) on the outer training rows, and fitted on them and scored on
the outer test rows. The default for an outer fold is the configuration with the best
inner mean balanced accuracy (mean over datasets); the outer test rows never take part in a
choice. Rows of the CSV: dataset, outer fold, configuration, stage (inner/outer), score,
fit seconds.

    python benchmarks/defaults_selection.py --out benchmarks/results/defaults_selection.csv
    python benchmarks/defaults_selection.py --report benchmarks/results/defaults_selection.csv
"""

import argparse
import time

import pandas as pd
import torch
from joblib import Parallel, delayed
from sklearn.compose import ColumnTransformer
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from skorch.callbacks import EarlyStopping
from skorch.dataset import ValidSplit

import imbsk.modules
from imbsk import ImbalancedNetClassifier
from imbsk._training import _member_training_rows, auto_epochs, batch_size_for
from imbsk.datasets import list_keel, load_keel


def one_hot_nominal(X):
    nominal = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    return ColumnTransformer(
        [("nominal", OneHotEncoder(handle_unknown="ignore", sparse_output=False), nominal)],
        remainder="passthrough")


def early_stopping():
    return [("early_stopping", EarlyStopping(monitor="valid_loss", patience=30,
                                             load_best=True))]


#: Candidate defaults. ``steps``: epochs for at least that many optimizer steps (at least 30;
#: imbsk.\_training.auto_epochs), resolved on each fit's training rows. ``scaling``: the
#: input scaling variant (imbsk.modules.robust_scaling_params; rounds 1-2 ran before the
#: "normal" variant existed).
CONFIGS = {
    "plain_30": dict(scaling="iqr", max_epochs=30),
    "inverse_30": dict(scaling="iqr", rebalance="inverse", max_epochs=30),
    "cb_focal_30": dict(scaling="iqr", rebalance="cb_focal", max_epochs=30),
    "logit_adjusted_30": dict(scaling="iqr", rebalance="logit_adjusted", max_epochs=30),
    "inverse_30_lr3e-3": dict(scaling="iqr", rebalance="inverse", max_epochs=30, lr=3e-3),
    "inverse_steps500": dict(scaling="iqr", rebalance="inverse", steps=500),
    "inverse_steps500_es": dict(scaling="iqr", rebalance="inverse", steps=500, callbacks=early_stopping),
    "inverse_x8_30": dict(scaling="iqr", rebalance="inverse", max_epochs=30, n_members=8),
    # exploration (round 2), from the best of round 1
    "es_wd1e-2": dict(scaling="iqr", rebalance="inverse", steps=500, callbacks=early_stopping,
                      optimizer=torch.optim.AdamW, optimizer__weight_decay=1e-2),
    "es_x8": dict(scaling="iqr", rebalance="inverse", steps=500, callbacks=early_stopping, n_members=8),
    "es_h32": dict(scaling="iqr", rebalance="inverse", steps=500, callbacks=early_stopping,
                   module__hidden_units=(32,)),
    "es_drop03": dict(scaling="iqr", rebalance="inverse", steps=500, callbacks=early_stopping,
                      module__dropout=0.3),
    "es_la": dict(scaling="iqr", rebalance="logit_adjusted", steps=500, callbacks=early_stopping),
    "es_all_rows_x5": dict(scaling="iqr", rebalance="inverse", steps=500, n_members=5,
                           member_sampling="bootstrap"),
    "es_lr3e-3": dict(scaling="iqr", rebalance="inverse", steps=500, callbacks=early_stopping, lr=3e-3),
    # round 3: the 0/1-preserving "normal" scaling (imbsk.modules.SCALING_VARIANT), all rows
    "n_es_drop03": dict(rebalance="inverse", steps=500, callbacks=early_stopping,
                        module__dropout=0.3),
    "n_all_drop03": dict(rebalance="inverse", steps=500, train_split=None,
                         module__dropout=0.3),
    "n_all_drop03_x5": dict(rebalance="inverse", steps=500, train_split=None,
                            module__dropout=0.3, n_members=5),
    "n_es_drop03_la": dict(rebalance="logit_adjusted", steps=500, callbacks=early_stopping,
                           module__dropout=0.3),
    "n_es_drop03_iqr": dict(rebalance="inverse", steps=500, callbacks=early_stopping,
                            module__dropout=0.3, scaling="iqr"),
    # round 4: members cross-fitted (each validates on its own fold, best epoch kept)
    "cf5_d03": dict(rebalance="inverse", steps=500, n_members=5, member_sampling="cross_fit",
                    module__dropout=0.3),
    "cf5": dict(rebalance="inverse", steps=500, n_members=5, member_sampling="cross_fit"),
    "cf5_d03_la": dict(rebalance="logit_adjusted", steps=500, n_members=5,
                       member_sampling="cross_fit", module__dropout=0.3),
    "cf8_d03": dict(rebalance="inverse", steps=500, n_members=8, member_sampling="cross_fit",
                    module__dropout=0.3),
    # round 5: around the best of round 4
    "cf5_d03_la_s1000": dict(rebalance="logit_adjusted", steps=1000, n_members=5,
                             member_sampling="cross_fit", module__dropout=0.3),
    "cf5_d03_la_lr3e-3": dict(rebalance="logit_adjusted", steps=500, n_members=5,
                              member_sampling="cross_fit", module__dropout=0.3, lr=3e-3),
    "cf5_d03_la_iqr": dict(rebalance="logit_adjusted", steps=500, n_members=5,
                           member_sampling="cross_fit", module__dropout=0.3, scaling="iqr"),
    "cf5_d05_la": dict(rebalance="logit_adjusted", steps=500, n_members=5,
                       member_sampling="cross_fit", module__dropout=0.5),
    # round 6: the defaults of the call ("default": the rows of defaults_explore6*.csv and
    # defaults_nested6.csv ran before round 6's choice, i.e. as "round5_default"; those of
    # defaults_explore7.csv with the linear shortcut), linear members, a linear shortcut
    "default": dict(),
    "round5_default": dict(module__linear_shortcut=False),
    "cf5_lin_la": dict(rebalance="logit_adjusted", steps=500, n_members=5,
                       member_sampling="cross_fit", module__hidden_units=()),
    "cf5_lin_la_lr1e-2": dict(rebalance="logit_adjusted", steps=500, n_members=5, lr=1e-2,
                              member_sampling="cross_fit", module__hidden_units=()),
    "cf5_lin_la_lr3e-2_s2000": dict(rebalance="logit_adjusted", steps=2000, n_members=5,
                                    lr=3e-2, member_sampling="cross_fit",
                                    module__hidden_units=()),
    # wide and deep: a linear shortcut beside the MLP, its own learning rate
    "wd": dict(module__linear_shortcut=True, module__shortcut_lr=None),
    "wd_lr1e-2": dict(module__linear_shortcut=True,
                      optimizer__param_groups=[("shortcut.*", {"lr": 1e-2})]),
    "wd_lr3e-2": dict(module__linear_shortcut=True,
                      optimizer__param_groups=[("shortcut.*", {"lr": 3e-2})]),
    "wd_lr1e-1": dict(module__linear_shortcut=True,
                      optimizer__param_groups=[("shortcut.*", {"lr": 1e-1})]),
    "wd_lr3e-2_d05": dict(module__linear_shortcut=True, module__dropout=0.5,
                          optimizer__param_groups=[("shortcut.*", {"lr": 3e-2})]),
    "wd_lr3e-2_l2": dict(module__linear_shortcut=True, optimizer__param_groups=[
        ("shortcut.*", {"lr": 3e-2, "weight_decay": 1e-3})]),
    "wd_lr3e-1": dict(module__linear_shortcut=True,
                      optimizer__param_groups=[("shortcut.*", {"lr": 3e-1})]),
    "wd_lr1e-1_s1000": dict(module__linear_shortcut=True, steps=1000,
                            optimizer__param_groups=[("shortcut.*", {"lr": 1e-1})]),
    # round 7: around the shortcut (now the MLP's default: module__shortcut_lr=0.1)
    "sc_x8": dict(n_members=8),
    "sc_x10": dict(n_members=10),
    "sc_d05": dict(module__dropout=0.5),
    "sc_d01": dict(module__dropout=0.1),
    # round 8: the loss under the shortcut
    "sc_inverse": dict(rebalance="inverse"),
    "sc_ldam_drw": dict(rebalance="ldam_drw"),
    # round 9 (issue "As fast as a forest"): fewer optimizer steps of the default, so that
    # a fit of yeast3 costs at most twice the balanced random forest's; "budget": (steps,
    # least epochs) in place of max_epochs="auto"'s (500, 30)
    "fast_s250": dict(budget=(250, 15)),
    "fast_s250_lr2e-3": dict(budget=(250, 15), lr=2e-3),
    "fast_s150": dict(budget=(150, 10)),
    "fast_s150_lr2e-3": dict(budget=(150, 10), lr=2e-3),
    "fast_s150_lr3e-3": dict(budget=(150, 10), lr=3e-3),
    "fast_s100_lr5e-3": dict(budget=(100, 8), lr=5e-3),
}


#: Configurations of rounds 1-5 and the linear ones ran before the MLP had a shortcut (and,
#: unless they say otherwise, with the MLP's dropout of then, 0.1).
WITHOUT_SHORTCUT = set(list(CONFIGS)[:list(CONFIGS).index("default")]) | {
    "cf5_lin_la", "cf5_lin_la_lr1e-2", "cf5_lin_la_lr3e-2_s2000"}


def make(config, seed, n_rows):
    if config == "logreg":  # the peer, for reference (behind its own scaler)
        return make_pipeline(StandardScaler(), LogisticRegression(
            class_weight="balanced", max_iter=1000))
    params = dict(CONFIGS[config])
    if config in WITHOUT_SHORTCUT:
        params.setdefault("module__linear_shortcut", False)
        params.setdefault("module__dropout", 0.1)
    imbsk.modules.SCALING_VARIANT = params.pop("scaling", "normal")
    if callable(params.get("callbacks")):
        params["callbacks"] = params["callbacks"]()
    if "budget" in params:  # max_epochs="auto"'s rule with other constants
        steps, least = params.pop("budget")
        net = ImbalancedNetClassifier(random_state=seed, **params)
        rows, split = _member_training_rows(net, n_rows)
        return net.set_params(max_epochs=auto_epochs(
            rows, batch_size_for(net, n_rows), split, min_steps=steps, min_epochs=least))
    if "steps" in params:
        split = None if params.get("member_sampling") == "cross_fit" else ValidSplit(5)
        params["max_epochs"] = auto_epochs(n_rows, 128, split, params.pop("steps"))
    return ImbalancedNetClassifier(random_state=seed, **params)


def score(config, X, y, train, test, seed):
    model = make_pipeline(one_hot_nominal(X), make(config, seed, len(train)))
    start = time.perf_counter()
    model.fit(X.iloc[train], y[train])
    seconds = time.perf_counter() - start
    return balanced_accuracy_score(y[test], model.predict(X.iloc[test])), seconds


def run_dataset(name, configs, outer_folds=range(5), inner_only=False):
    torch.set_num_threads(1)
    X, y = load_keel(name, return_X_y=True)
    y = y.to_numpy()
    rows = []
    outer = StratifiedKFold(5, shuffle=True, random_state=0)
    for fold, (train, test) in enumerate(outer.split(X, y)):
        if fold not in outer_folds:
            continue
        inner = StratifiedKFold(3, shuffle=True, random_state=1)
        for config in configs:
            for inner_fold, (tr, te) in enumerate(inner.split(X.iloc[train], y[train])):
                bacc, seconds = score(config, X, y, train[tr], train[te], inner_fold)
                rows.append(dict(dataset=name, outer_fold=fold, config=config, stage="inner",
                                 inner_fold=inner_fold, balanced_accuracy=bacc,
                                 fit_seconds=seconds))
            if inner_only:
                continue
            bacc, seconds = score(config, X, y, train, test, fold)
            rows.append(dict(dataset=name, outer_fold=fold, config=config, stage="outer",
                             inner_fold=-1, balanced_accuracy=bacc, fit_seconds=seconds))
    return rows


def report(path):
    results = pd.read_csv(path)
    inner = (results[results.stage == "inner"]
             .groupby(["outer_fold", "config", "dataset"]).balanced_accuracy.mean()
             .groupby(["outer_fold", "config"]).mean().unstack())
    chosen = inner.idxmax(axis=1)
    print("Inner-CV mean balanced accuracy (mean over datasets), per outer fold:")
    print(inner.round(4).to_markdown())
    print("\nChosen per outer fold:", chosen.to_dict())
    outer = results[results.stage == "outer"]
    per_config = outer.groupby(["config", "dataset"]).agg(
        mean=("balanced_accuracy", "mean"), std=("balanced_accuracy", "std"),
        seconds=("fit_seconds", "mean"))
    table = per_config.groupby("config").mean()
    table["rank"] = (outer.groupby(["dataset", "config"]).balanced_accuracy.mean()
                     .groupby("dataset").rank(ascending=False).groupby("config").mean())
    print("\nOuter test folds (information only; not used to choose):")
    print(table.sort_values("mean", ascending=False).round(4).to_markdown())
    picked = pd.concat([outer[(outer.outer_fold == f) & (outer.config == c)]
                        for f, c in chosen.items()])
    by_dataset = picked.groupby("dataset").balanced_accuracy
    print(f"\nNested (the chosen configuration of each outer fold): mean balanced accuracy "
          f"{by_dataset.mean().mean():.4f} ± {by_dataset.std().mean():.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="benchmarks/results/defaults_selection.csv")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--datasets", default=",".join(list_keel()))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--report")
    parser.add_argument("--outer-folds", default="0,1,2,3,4")
    parser.add_argument("--inner-only", action="store_true",
                        help="exploration: inner scores only (no outer test fold is touched)")
    args = parser.parse_args()
    if args.report:
        report(args.report)
        return
    configs = args.configs.split(",")
    datasets = args.datasets.split(",")
    folds = [int(f) for f in args.outer_folds.split(",")]
    out = Parallel(n_jobs=args.jobs)(delayed(run_dataset)(d, configs, folds, args.inner_only)
                                     for d in datasets)
    pd.DataFrame([r for rows in out for r in rows]).to_csv(args.out, index=False)
    if args.inner_only:
        inner = pd.read_csv(args.out)
        table = inner.groupby(["config", "dataset"]).balanced_accuracy.mean().unstack("config")
        print(table.round(3).to_markdown())
        print(inner.groupby("config").agg(bacc=("balanced_accuracy", "mean"),
                                          seconds=("fit_seconds", "mean")).round(4)
              .sort_values("bacc").to_markdown())
        return
    report(args.out)


if __name__ == "__main__":
    main()
