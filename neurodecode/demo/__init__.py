"""The ``neurodecode demo`` pipeline (simulated subject, training, evaluation, report) and
``neurodecode reproduce`` (the same pipeline on a real GOD subject)."""
from ._reproduce import check_reproduce_arguments, reproduce_god
from ._run import (
    FULL,
    METHODS,
    QUICK,
    DemoSize,
    PipelineSettings,
    check_demo_arguments,
    load_results,
    run_demo,
    run_pipeline,
)

__all__ = ["DemoSize", "FULL", "METHODS", "PipelineSettings", "QUICK", "check_demo_arguments",
           "check_reproduce_arguments",
           "load_results", "reproduce_god", "run_demo", "run_pipeline"]
