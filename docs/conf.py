"""Sphinx configuration for neurodecode (numpydoc, autosummary, sphinx-gallery).

Build (CI runs this, warnings are errors)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Intersphinx links to Python, NumPy, scikit-learn, nilearn and PyTorch need their inventories
from the internet; offline (or with ``NEURODECODE_DOCS_INTERSPHINX=0``) they are left out and
such references render as plain text instead of failing the build.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.abspath(".."))
sys.path.insert(0, os.path.abspath(os.path.dirname(__file__)))  # gallery_order

from neurodecode import __version__  # noqa: E402

project = "neurodecode"
author = "neurodecode developers"
copyright = "neurodecode developers"
release = version = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
numpydoc_show_class_members = False  # the class template lists the members itself
templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]

html_theme = "pydata_sphinx_theme"
html_title = "neurodecode"
html_theme_options = {
    "logo": {"text": "neurodecode"},
    "navbar_align": "left",
    "navbar_start": ["navbar-logo"],
    "navbar_center": ["navbar-nav"],
    "header_links_before_dropdown": 4,
    "secondary_sidebar_items": ["page-toc"],
}
html_show_sourcelink = False
html_static_path = ["_static"]
html_css_files = ["custom.css"]


def _online(host="docs.python.org", port=443, timeout=3.0):
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "nilearn": ("https://nilearn.github.io/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
}
_wanted = os.environ.get("NEURODECODE_DOCS_INTERSPHINX", "auto")
intersphinx_mapping = _INTERSPHINX if (_wanted == "1" or (_wanted == "auto" and _online())) \
    else {}
intersphinx_timeout = 10

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "gallery_order.ExampleOrder",  # the quick start first
    # "Examples using this" on every API page (the templates' minigallery)
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("neurodecode",),
    "reference_url": {"neurodecode": None},
}
