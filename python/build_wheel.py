#!/usr/bin/env python3
"""The one builder of the embsurgery wheel: the Python package in python/embsurgery plus the
native executable as ``embsurgery-VERSION.data/scripts/embsurgery`` (installed on the
environment's PATH, as maturin and ruff do), with the metadata of python/pyproject.toml.
Standard library only (tomli below Python 3.11); the same inputs give the same bytes (sorted
entries, fixed timestamps from SOURCE_DATE_EPOCH).

As a command, scripts/package runs it on the static executable it built:

    python3 python/build_wheel.py --executable PATH --version 0.1.0 \\
        --platform manylinux_2_31_x86_64 --out dist

As the PEP 517 backend of python/pyproject.toml (``pip wheel ./python``, ``pip install ./python``)
it gives the wheel scripts/package makes, by one of (``-C embsurgery-wheel=...`` with pip, or the
environment variable EMBSURGERY_WHEEL):

    package (default)  run scripts/package (root, Debian; see docs/packaging.md) and take its wheel
    dist               take the newest wheel scripts/package left in dist/, building nothing
    PATH               wrap the executable at PATH (absolute, or relative to the repository:
                       .build/release/embsurgery), tagged linux_ARCH: a wheel for this machine only
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import platform as platforms
import re
import shutil
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: pyproject.toml's build-system requires tomli
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "embsurgery"
REPOSITORY = HERE.parent  # python/ sits in the repository: its README.md and scripts/package


def project() -> dict:
    """The ``[project]`` table of python/pyproject.toml."""
    with open(HERE / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]


def python_section(readme: Path) -> str:
    """The README's `## Python` section, as the package's description."""
    text = readme.read_text(encoding="utf-8")
    match = re.search(r"^## Python\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    if match is None:
        raise SystemExit(f"{readme}: no '## Python' section")
    return "# embsurgery\n" + match.group(1)


def metadata(version: str, description: str) -> str:
    table = project()
    fields = [
        ("Metadata-Version", "2.1"),
        ("Name", table["name"]),
        ("Version", version),
        ("Summary", table["description"]),
        ("Requires-Python", table["requires-python"]),
    ]
    if table.get("keywords"):
        fields.append(("Keywords", ",".join(table["keywords"])))
    fields += [("Classifier", classifier) for classifier in table.get("classifiers", [])]
    fields.append(("Description-Content-Type", "text/markdown"))
    return "".join(f"{key}: {value}\n" for key, value in fields) + "\n" + description


def wheel_file(tag: str) -> str:
    return f"Wheel-Version: 1.0\nGenerator: embsurgery python/build_wheel.py\nRoot-Is-Purelib: false\nTag: {tag}\n"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def build(executable: Path, version: str, platform: str, out: Path, readme: Path = REPOSITORY / "README.md") -> Path:
    """Writes the wheel of `executable` (whose ``--version`` is `version`) for `platform` into
    `out` and returns its path."""
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", version):
        raise SystemExit(f"unexpected version {version!r}")
    name = project()["name"]
    tag = f"py3-none-{platform}"
    dist_info = f"{name}-{version}.dist-info"
    entries: list[tuple[str, bytes, int]] = []
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            entries.append((f"{name}/{path.relative_to(PACKAGE).as_posix()}", path.read_bytes(), 0o644))
    entries.append((f"{name}-{version}.data/scripts/{name}", executable.read_bytes(), 0o755))
    entries.append((f"{dist_info}/METADATA", metadata(version, python_section(readme)).encode(), 0o644))
    entries.append((f"{dist_info}/WHEEL", wheel_file(tag).encode(), 0o644))
    record = "".join(record_line(entry, data) + "\n" for entry, data, _ in entries) + f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode(), 0o644))

    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)  # zip starts at 1980
    timestamp = time.gmtime(epoch)[:6]
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{name}-{version}-{tag}.whl"
    partial = wheel.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for entry, data, mode in entries:
            info = zipfile.ZipInfo(entry, date_time=timestamp)
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data, compresslevel=9)
    partial.replace(wheel)
    return wheel


# MARK: the PEP 517 backend


def _packaged_wheel(source: str) -> Path:
    """The wheel scripts/package makes (`source` is ``package`` or ``dist``)."""
    if not (REPOSITORY / "scripts" / "package").is_file():
        raise SystemExit(f"{REPOSITORY} is not the embsurgery repository: build the wheel from a clone of it")
    if source == "package":
        # scripts/package prints its progress; pip shows the backend's stderr with -v.
        subprocess.run([str(REPOSITORY / "scripts" / "package")], check=True, stdout=sys.stderr)
    wheels = sorted((REPOSITORY / "dist").glob(f"{project()['name']}-*-py3-none-manylinux_*.whl"), key=os.path.getmtime)
    if not wheels:
        raise SystemExit(f"no wheel in {REPOSITORY / 'dist'}: run scripts/package")
    return wheels[-1]


def _local_wheel(executable: Path, out: Path) -> Path:
    """A wheel of an executable built here (not a portable one: tagged linux_ARCH)."""
    version = subprocess.run([str(executable), "--version"], check=True, capture_output=True, text=True).stdout.strip()
    return build(executable, version, f"linux_{platforms.machine()}", out)


def get_requires_for_build_wheel(config_settings: dict | None = None) -> list[str]:
    return []


def build_wheel(wheel_directory: str, config_settings: dict | None = None, metadata_directory: str | None = None) -> str:
    """PEP 517: builds the wheel into `wheel_directory` and returns its file name."""
    source = (config_settings or {}).get("embsurgery-wheel") or os.environ.get("EMBSURGERY_WHEEL") or "package"
    if source in ("package", "dist"):
        wheel = _packaged_wheel(source)
        shutil.copyfile(wheel, Path(wheel_directory) / wheel.name)
        return wheel.name
    return _local_wheel(REPOSITORY / source, Path(wheel_directory)).name  # an absolute `source` stays itself


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executable", type=Path, help="the native embsurgery executable")
    parser.add_argument("--version", help="the version (embsurgery --version)")
    parser.add_argument("--platform", help="the platform tag, e.g. manylinux_2_31_x86_64")
    parser.add_argument("--out", type=Path, help="the folder to write the wheel into")
    parser.add_argument(
        "--check", action="store_true", help="only check that the metadata can be made (pyproject.toml, README.md)"
    )
    arguments = parser.parse_args()
    if arguments.check:
        metadata("0", python_section(REPOSITORY / "README.md"))
        return
    missing = [option for option in ("executable", "version", "platform", "out") if getattr(arguments, option) is None]
    if missing:
        parser.error("missing " + ", ".join(f"--{option}" for option in missing))
    print(build(arguments.executable, arguments.version, arguments.platform, arguments.out))


if __name__ == "__main__":
    sys.exit(main())
