"""Sphinx configuration. Build: python -m sphinx -W -b html docs docs/_build/html"""

import imbsk

project = "imbsk"
author = "the imbsk developers"
release = version = imbsk.__version__
extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # ships MathJax 3 and copies it to _static/mathjax: formulas render with no network
    "sphinx-mathjax-offline",
]
# the offline extension sets this too; said here so that a reader of conf.py sees that the
# renderer is local (the HTML must not load a script from a CDN)
mathjax_path = "mathjax/tex-chtml.js"
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
intersphinx_mapping = {}
html_theme = "furo"
html_title = f"imbsk {release}"
exclude_patterns = ["_build"]
suppress_warnings = ["ref.python"]
nitpicky = False
