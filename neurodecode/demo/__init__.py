"""The ``neurodecode demo`` pipeline (simulated subject, training, evaluation, report)."""
from ._run import (
    FULL,
    METHODS,
    QUICK,
    DemoSize,
    check_demo_arguments,
    load_results,
    run_demo,
)

__all__ = ["DemoSize", "FULL", "METHODS", "QUICK", "check_demo_arguments", "load_results",
           "run_demo"]
