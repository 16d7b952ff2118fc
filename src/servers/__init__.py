"""Trio drivers for the wire protocol machines, and the ``wire`` command."""
