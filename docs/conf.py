"""Sphinx configuration for the rectifier documentation.

Build (CI does, with -W so that any warning fails):

    python -m pip install ".[docs]"
    python -m sphinx -W -b html docs docs/_build/html

The API reference is generated from the docstrings of the installed package (numpydoc); the
pages are Markdown (MyST) or reStructuredText, and any page added to docs/ is picked up by the
table of contents of index.md.
"""
import rectifier

project = "rectifier"
author = "the rectifier developers"
copyright = "2026, the rectifier developers"
release = rectifier.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Code blocks in other languages (cython, text output) are shown as they are.
highlight_language = "python3"
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "alabaster"
html_static_path = []
html_theme_options = {"description": "Fast, exact and accurate activation functions for NumPy"}
