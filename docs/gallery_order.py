"""The order of the gallery: the quick start first, then from data to analyses."""
from pathlib import Path

ORDER = ["plot_quickstart.py", "plot_simulated_subject.py", "plot_god_bids.py",
         "plot_noise_ceiling.py", "plot_roi_analysis.py", "plot_prf_retinotopy.py"]


class ExampleOrder:
    """Sort key of sphinx-gallery's ``within_subsection_order``: ``ORDER``, then any
    other example by file name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        return (ORDER.index(name), "") if name in ORDER else (len(ORDER), name)
