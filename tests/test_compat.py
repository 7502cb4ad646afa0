"""Private upstream API stays in imbsk/_compat.py; the rest of the package uses public names."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1] / "imbsk"
UPSTREAM = r"(?:sklearn|skorch|torch|imblearn|numpy|pandas|scipy)"
# `from sklearn.utils._param_validation import X`, `import torch._dynamo`, or
# `from sklearn.utils import _safe_indexing`
PRIVATE_IMPORT = re.compile(
    rf"^\s*(?:from\s+{UPSTREAM}(?:\.\w+)*\._\w+|import\s+{UPSTREAM}(?:\.\w+)*\._\w+"
    rf"|from\s+{UPSTREAM}(?:\.\w+)*\s+import\s+\(?[^#\n]*\b_[a-z]\w*)",
    re.MULTILINE)


def _offenders(path):
    return [line.strip() for line in PRIVATE_IMPORT.findall(path.read_text())]


def test_private_upstream_imports_only_in_the_compat_module():
    offenders = {str(p.relative_to(ROOT)): _offenders(p) for p in ROOT.rglob("*.py")
                 if p.name != "_compat.py"}
    assert {k: v for k, v in offenders.items() if v} == {}
    assert _offenders(ROOT / "_compat.py")  # the pattern does find them where they are


def test_the_pattern_catches_each_form():
    sample = ("from sklearn.utils._param_validation import Interval\n"
              "import torch._dynamo\n"
              "from sklearn.utils import _safe_indexing\n"
              "from torch.utils.data import Subset\n")
    assert len(PRIVATE_IMPORT.findall(sample)) == 3

