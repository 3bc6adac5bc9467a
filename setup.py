"""Packaging glue that pyproject.toml cannot express: ``bids_specs/`` (a top-level folder of
the repository, so that plain pybids users find it) ships inside the package as
``neurodecode.bids_specs`` and is read with :mod:`importlib.resources`."""
from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["neurodecode", "neurodecode.*"]) + ["neurodecode.bids_specs"],
    package_dir={"neurodecode.bids_specs": "bids_specs"},
    package_data={"neurodecode.bids_specs": ["*.json", "*.md"]},
)
