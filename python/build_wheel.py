#!/usr/bin/env python3
"""Builds the embsurgery wheel: the Python package in python/embsurgery plus the native executable
as ``embsurgery-VERSION.data/scripts/embsurgery`` (installed on the environment's PATH, as maturin
and ruff do). Standard library only; the same inputs give the same bytes (sorted entries, fixed
timestamps from SOURCE_DATE_EPOCH).

    python3 python/build_wheel.py --executable PATH --version 0.1.0 \\
        --platform manylinux_2_36_x86_64 --readme README.md --out dist
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import re
import stat
import sys
import time
import zipfile
from pathlib import Path

NAME = "embsurgery"
SUMMARY = "Surgery on the token-embedding matrices of safetensors checkpoints: resize the vocabulary, fix untrained rows, audit, diff."
PACKAGE = Path(__file__).resolve().parent / NAME


def metadata(version: str, description: str) -> str:
    fields = [
        ("Metadata-Version", "2.1"),
        ("Name", NAME),
        ("Version", version),
        ("Summary", SUMMARY),
        ("Requires-Python", ">=3.10"),
        ("Classifier", "Operating System :: POSIX :: Linux"),
        ("Classifier", "Programming Language :: Python :: 3"),
        ("Classifier", "Topic :: Scientific/Engineering :: Artificial Intelligence"),
        ("Classifier", "Typing :: Typed"),
        ("Description-Content-Type", "text/markdown"),
    ]
    return "".join(f"{key}: {value}\n" for key, value in fields) + "\n" + description


def wheel_file(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: {NAME} python/build_wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"


def python_section(readme: Path) -> str:
    """The README's `## Python` section, as the package's description."""
    text = readme.read_text(encoding="utf-8")
    match = re.search(r"^## Python\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit(f"{readme}: no '## Python' section")
    return "# embsurgery\n" + match.group(1)


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(executable: Path, version: str, platform: str, readme: Path, out: Path) -> Path:
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", version):
        raise SystemExit(f"unexpected version {version!r}")
    tag = f"py3-none-{platform}"
    dist_info = f"{NAME}-{version}.dist-info"
    entries: list[tuple[str, bytes, int]] = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            entries.append((f"{NAME}/{path.relative_to(PACKAGE).as_posix()}", path.read_bytes(), 0o644))
    entries.append((f"{NAME}-{version}.data/scripts/{NAME}", executable.read_bytes(), 0o755))
    entries.append((f"{dist_info}/METADATA", metadata(version, python_section(readme)).encode(), 0o644))
    entries.append((f"{dist_info}/WHEEL", wheel_file(tag).encode(), 0o644))
    record = "".join(record_line(name, data) + "\n" for name, data, _ in entries) + f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)  # zip starts at 1980
    timestamp = time.gmtime(epoch)[:6]
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{NAME}-{version}-{tag}.whl"
    partial = wheel.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    partial.replace(wheel)
    return wheel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executable", type=Path, required=True, help="the native embsurgery executable")
    parser.add_argument("--version", required=True, help="the version (embsurgery --version)")
    parser.add_argument("--platform", required=True, help="the platform tag, e.g. manylinux_2_36_x86_64")
    parser.add_argument("--readme", type=Path, required=True, help="README.md, whose '## Python' section describes the package")
    parser.add_argument("--out", type=Path, required=True, help="the folder to write the wheel into")
    arguments = parser.parse_args()
    print(build(arguments.executable, arguments.version, arguments.platform, arguments.readme, arguments.out))


if __name__ == "__main__":
    sys.exit(main())
