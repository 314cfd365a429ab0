"""JUnit XML: one test case per post; an error finding is a failure, a bad input line an error."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from auditor.reports.summary import location


def render(results: list[dict[str, Any]], errors: list[dict[str, Any]], ruleset_version: str,
           source_name: str, fail_on: str = "error", **_: Any) -> str:
    failing = {"error": ("error",), "warning": ("error", "warning"), "never": ()}[fail_on]
    suite = ET.Element("testsuite", name=source_name)
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="ruleset_version", value=ruleset_version)
    failures = 0
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=source_name, name=f"{location(r)} [{r['id']}]")
        bad = [f for f in r["findings"] if f["severity"] in failing]
        if bad:
            failures += 1
            body = "\n".join(f"{f['severity']} {f['rule_id']} [{f['country'] or 'platform'}]: {f['message']}\n"
                             f"  fix: {f['fix']}" for f in r["findings"])
            node = ET.SubElement(case, "failure", message=f"{r['status']}: " + ", ".join(f["rule_id"] for f in bad),
                                 type=r["status"])
            node.text = body
        elif r["findings"]:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{f['severity']} {f['rule_id']}: {f['message']}" for f in r["findings"])
    for e in errors:
        case = ET.SubElement(suite, "testcase", classname=source_name,
                             name=f"{e.get('file', '-')}:{e.get('line', 0)}")
        node = ET.SubElement(case, "error", message=e["message"], type=e["code"])
        node.text = e["message"]
    suite.set("tests", str(len(results) + len(errors)))
    suite.set("failures", str(failures))
    suite.set("errors", str(len(errors)))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
