"""Synthetic Cambodian population (``spmis synth``)."""
