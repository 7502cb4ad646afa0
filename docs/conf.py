"""Sphinx configuration. Build: python -m sphinx -W -b html docs docs/_build/html"""

import imbsk

project = "imbsk"
author = "the imbsk developers"
copyright = "2026, the imbsk developers"
release = version = imbsk.__version__
extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # ships MathJax 3 and copies it to _static/mathjax: formulas render with no network
    "sphinx-mathjax-offline",
    "sphinx_gallery.gen_gallery",
]
# the offline extension sets this too; said here so that a reader of conf.py sees that the
# renderer is local (the HTML must not load a script from a CDN)
mathjax_path = "mathjax/tex-chtml.js"
# The gallery: every examples/plot_*.py is run at build time (seconds each, on a shipped
# KEEL table); the other scripts need Dask, Accelerate, a GPU or minutes, and stay out.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"^(?!plot_)",
    "download_all_examples": False,
    "show_memory": False,
    # the timing pages load DataTables from a CDN: not written (no remote script)
    "write_computation_times": False,
    "reset_modules": ("matplotlib",),
}
# members only where a directive lists them (`:members: fit, predict, ...`)
autodoc_default_options = {}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
intersphinx_mapping = {}
html_theme = "furo"
html_title = f"imbsk {release}"
exclude_patterns = ["_build"]
suppress_warnings = ["ref.python"]
nitpicky = False
