"""Vulnerability evidence: OSV records (offline database or the online API, pip-audit for fix suggestions)
matched against every package of the inventory. See :mod:`gate.evidence.vulns.collector`."""

from gate.evidence.vulns.collector import VulnCollector

__all__ = ["VulnCollector"]
