"""Sphinx configuration of the API reference (``make docs``): built from the docstrings."""

from theorems import __version__

project = "theorems"
release = version = __version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.doctest", "sphinx.ext.napoleon"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Names in signatures that are not documented here (torch's, Hypothesis's) are written out, not linked.
nitpicky = False
html_theme = "alabaster"
exclude_patterns = ["_build"]
