"""pybids configurations of the datasets neurodecode reads (see README.md)."""
