"""Datasets: the GOD loaders (BIDS), procedural class-structured images and the simulated
subject (also written as a GOD-layout BIDS dataset)."""
from ._bdata import load_god_bdata
from ._fetch import fetch_god, get_data_dir
from ._god import load_god, load_god_subjects, read_images
from ._god_rois import resolve_roi
from ._image_folder import load_image_folder
from ._sbj_npz import load_sbj_npz
from .._rois import COMPOSITES, GOD_COMPOSITES, GOD_MASK_ROIS, ROIS
from ._images import class_recipe, load_photographs, make_class_images, pink_noise
from ._simulate_bids import simulate_bids
from ._subject import FIELDS, Subject, check_subject, check_subjects
from ._vim1 import load_vim1
from ._synthetic import gabor_energy, make_synthetic_subject, make_synthetic_subjects

__all__ = [
    "COMPOSITES",
    "FIELDS",
    "GOD_COMPOSITES",
    "GOD_MASK_ROIS",
    "ROIS",
    "Subject",
    "check_subject",
    "check_subjects",
    "class_recipe",
    "fetch_god",
    "gabor_energy",
    "get_data_dir",
    "load_god",
    "load_god_bdata",
    "load_god_subjects",
    "load_image_folder",
    "load_photographs",
    "load_sbj_npz",
    "load_vim1",
    "make_class_images",
    "make_synthetic_subject",
    "make_synthetic_subjects",
    "pink_noise",
    "read_images",
    "resolve_roi",
    "simulate_bids",
]
