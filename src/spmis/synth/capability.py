"""Manifest of the synthetic-population generator (``spmis synth``)."""

from spmis.manifest import Capability, Command

CAPABILITY = Capability(name="synth", commands=(Command("spmis.synth.cli:app"),))
