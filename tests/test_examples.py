"""Every command-line example runs in its quick mode."""

import importlib.util
import pathlib

import pytest

# examples/plot_*.py are gallery scripts (no main, no --quick): the docs build runs them,
# and a failing one fails it
EXAMPLES = sorted(path for path in
                  (pathlib.Path(__file__).resolve().parents[1] / "examples").glob("*.py")
                  if not path.name.startswith("plot_"))


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_quickly(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = ["--quick"] + (["--out", str(tmp_path / "plot.png")] if path.stem == "digits_parity"
                          else [])
    assert _load(path).main(argv) is not None
