"""The README's Python example runs as written (twice: the second run changes nothing)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_readme_python_example_runs(tmp_path: Path) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"From Python.*?```python\n(.*?)```", text, re.S)
    assert example, "the README has a Python example"
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", example.group(1)], cwd=tmp_path, env=env,
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "ReconRow(donor='BRUSSELS', recipient='KHARKIV'" in done.stdout
