"""The project stands alone: nothing in it refers to documents outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a relative path up into the workplace's shared folder, or its DESIGN/ICD/PITFALLS documents
OUTSIDE = re.compile(r"\.\./shared\b|\bshared/(DESIGN|ICD|PITFALLS)\.md")


def test_no_file_refers_outside_the_repository() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".js", ".html", ".css", ".yml", ".yaml"}:
            continue
        if name == "tests/test_standalone.py" or not path.is_file():
            continue
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if OUTSIDE.search(line):
                offenders.append(f"{name}:{n}: {line.strip()}")
    assert offenders == [], "references outside the repository:\n" + "\n".join(offenders)


def test_docs_the_readme_names_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for doc in re.findall(r"`(docs/[\w.-]+\.md)`", readme):
        assert (ROOT / doc).is_file(), f"README names {doc}, which is missing"
