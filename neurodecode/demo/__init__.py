"""The ``neurodecode demo`` pipeline (simulated subject, training, evaluation, report)."""
from ._run import FULL, METHODS, QUICK, DemoSize, load_results, run_demo

__all__ = ["DemoSize", "FULL", "METHODS", "QUICK", "load_results", "run_demo"]
