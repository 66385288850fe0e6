"""Vulnerability evidence: OSV records matched against every package of the inventory.

Sources (one interface, :class:`~gate.evidence.vulns.source.VulnSource`): the offline database
(``gate db update``; or any directory or zip of OSV JSON/YAML records, ``--vuln-db``), or the online OSV API
(``--vuln-source osv-api``, or automatically when there is no offline database and ``--network`` is on).
Matching is ours for every ecosystem; vulnerable Python packages get their fix suggestion from pip-audit's
fix resolver (:mod:`.pipaudit`), npm packages the same fix resolution from :func:`.collector.resolve_fix`.

What policy sees (``gate/input/v1``):

``input.components[]`` (packages that were checked)
    ``vulnerabilities_checked``: ``true``, or ``false`` when the package could not be checked (then no
    ``vulnerabilities`` key: missing data never reads as "no vulnerabilities");
    ``vulnerabilities``: one finding per alias group, sorted by id::

        {"id": "PYSEC-2018-28", "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
         "ids": [...every id and alias...], "records": ["PYSEC-2018-28"], "summary": "...",
         "severity": "critical|high|medium|low|none|unknown", "score": 7.5, "vector": "CVSS:3.1/...",
         "severity_source": "CVSS_V4|CVSS_V3|database|CVSS_V2|null",
         "fixed_versions": ["2.20.0"], "fix_available": true, "malicious": false (OSV MAL- reports),
         "fix_suggestion": {"tool": "pip-audit", "upgrade_to": "2.31.0", "resolves": 2} | {"skip_reason": ...},
         "published": "...", "modified": "...",
         "source": {"kind": "managed|zip|directory|osv-api", "database": "...", "file": "...", "records": [...]},
         "suppressed": null | {"by": "vex", "status", "justification", "detail", "file", "format"},
         "exception": null | {"rule", "reason", "expires", "file", "vulnerability"} (waived by the engine),
         "notes": ["unparseable PyPI version '2019-09-12' in the record", ...]}

``input.vulnerabilities``
    ``source``, ``database`` (``kind``, ``path``/``url``, ``as_of``, ``age_days``, ``records``, ``withdrawn``,
    ``duplicates``, per-ecosystem ``ecosystems`` with url/sha256/downloaded, ``status``: ok | stale | missing |
    corrupt | unreachable, ``error``), ``checked``, ``not_applicable`` (models, datasets), ``unchecked``
    (``ref``, ``name``, ``version``, ``ecosystem``, ``reason_code``: no-version | unparseable-version |
    unknown-ecosystem | no-data, ``reason``), ``suppressed`` (every VEX suppression), ``exceptions`` (unexpired exceptions naming a found
    vulnerability), ``expired_exceptions``,
    ``summary`` (findings, suppressed, components_affected, fixable, by_severity, unchecked), ``pip_audit``.

The rules are ``policies/vulns/vulns.rego`` (``vulns.malicious``, ``vulns.fixable``, ``vulns.unfixed``, ``vulns.vulnerable``,
``vulns.database``, ``vulns.unchecked``), thresholds in ``data.gate.config.vulns``.
"""

from gate.evidence.vulns.collector import VulnCollector

__all__ = ["VulnCollector"]
