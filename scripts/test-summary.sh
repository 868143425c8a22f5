#!/usr/bin/env bash
# Adds up the TRX files of a test run and prints, last, each failed test's name and the start of its
# message, then one closing line: "N passed, N failed, N skipped". The failures come last because a
# CI log is often read from its tail, where the console logger's own report is long gone.
set -euo pipefail
python3 - "$1" <<'EOF'
import glob, sys, xml.etree.ElementTree as ET

ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = 0
failures = []
for path in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    root = ET.parse(path).getroot()
    c = root.find("t:ResultSummary/t:Counters", ns).attrib
    passed += int(c.get("passed", 0))
    failed += sum(int(c.get(k, 0)) for k in ("failed", "error", "timeout", "aborted"))
    skipped += int(c.get("notExecuted", 0))
    for r in root.iterfind("t:Results/t:UnitTestResult", ns):
        if r.get("outcome") in ("Passed", "NotExecuted"):
            continue
        message = r.findtext("t:Output/t:ErrorInfo/t:Message", default="", namespaces=ns)
        stack = r.findtext("t:Output/t:ErrorInfo/t:StackTrace", default="", namespaces=ns)
        # The first frame in our own code says where it failed.
        frame = next((l.strip() for l in stack.splitlines() if "CustomModels" in l), "")
        failures.append((r.get("testName"), r.get("outcome"), " ".join(message.split())[:600], frame[:300]))

for name, outcome, message, frame in failures:
    print(f"{outcome.upper()}: {name}")
    if message:
        print(f"    {message}")
    if frame:
        print(f"    {frame}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(0 if failed == 0 and passed > 0 else 1)
EOF
