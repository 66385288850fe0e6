"""JUnit XML: one test case per rule; a blocking result is a failure, warnings go to system-out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

from gate.report.common import component_label, ordered, where

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation, Result


def render_junit(outcome: Outcome, evaluation: Evaluation) -> str:
    by_code: dict[str, list[Result]] = defaultdict(list)
    for r in ordered(evaluation.results):
        by_code[r.code].append(r)
    suite = ET.Element("testsuite", name="gate", tests=str(len(by_code)))
    failures = 0
    for code in sorted(by_code):
        case = ET.SubElement(suite, "testcase", classname="gate." + code.split(".")[0], name=code)
        denies = [r for r in by_code[code] if r.kind == "deny"]
        warns = [r for r in by_code[code] if r.kind == "warn"]
        if denies:
            failures += 1
            text = "\n".join(f"{component_label(r)}: {r.msg} [{where(r)}]" for r in denies)
            fail = ET.SubElement(case, "failure", message=denies[0].msg, type=denies[0].severity)
            fail.text = text
        if warns:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"warning: {component_label(r)}: {r.msg} [{where(r)}]" for r in warns)
    suite.set("failures", str(failures))
    suites = ET.Element("testsuites", name="gate", tests=suite.get("tests", "0"), failures=str(failures))
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
