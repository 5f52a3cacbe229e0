"""Running the native ``embsurgery`` executable that the wheel installs beside Python."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Sequence
from typing import Any, Union

StrPath = Union[str, "os.PathLike[str]"]

EXECUTABLE = "embsurgery"

# What the progress bar leaves at the start of a line: the erasure of the line (ESC [K), and
# the bar (30 cells, then the percentage).
_PROGRESS_BAR = re.compile(r"^(?:\x1b\[K)?(?:[█·]+ \d+%)?")


class Error(Exception):
    """The command failed.

    ``message`` is its one-line message (what it prints after ``error:``, or after ``Error:`` for a
    usage error), ``status`` its exit status (1 for bad input, 64 for a bad argument or a misused
    option, 128 + N when killed by signal N); ``stderr`` is all it printed.
    """

    def __init__(self, message: str, status: int, command: Sequence[str] = (), stderr: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.command = list(command)
        self.stderr = stderr

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_output(cls, command: Sequence[str], status: int, stderr: str) -> Error:
        """The error of a run that exited with `status` and printed `stderr`."""
        if status < 0:  # subprocess reports a signal as its negative number
            status = 128 - status
        # splitlines() also ends a line at "\r"; a progress bar that a failure interrupted is
        # left before the message ("\r███··· 40%error: ..."): it is taken off.
        lines = [_PROGRESS_BAR.sub("", line).strip() for line in stderr.splitlines()]
        lines = [line for line in lines if line]
        # The command's own errors are one line `error: ...`; argument-parser's usage errors
        # (status 64) are `Error: ...` followed by the usage: the first line is the message.
        message = next((line[len("error: "):] for line in lines if line.lower().startswith("error: ")), None)
        if message is None:
            message = lines[-1] if lines else f"{EXECUTABLE} exited with status {status}"
        return cls(message, status, command, stderr)


def executable() -> str:
    """The path of the native executable.

    ``$EMBSURGERY_EXECUTABLE`` when set; else the one installed with this package (the scripts
    folder of this environment, then of the user scheme); else the first on ``PATH``.
    """
    override = os.environ.get("EMBSURGERY_EXECUTABLE")
    if override:
        return override
    folders = [sysconfig.get_path("scripts")]
    try:
        folders.append(sysconfig.get_path("scripts", sysconfig.get_preferred_scheme("user")))
    except (KeyError, ValueError):
        pass
    for folder in folders:
        candidate = os.path.join(folder, EXECUTABLE)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(EXECUTABLE)
    if found is None:
        raise Error(f"the {EXECUTABLE} executable was not found (install the wheel, or set EMBSURGERY_EXECUTABLE)", 127)
    return found


def run_json(arguments: Sequence[str], *, findings_exit: bool = False, progress: bool = False) -> Any:
    """Runs ``embsurgery ARGUMENTS`` (which include ``--json``) and returns the parsed document.

    Exit 0 is success; with `findings_exit`, so is 3 (``audit`` and ``diff`` found something).
    Any other status raises ``Error``. With `progress`, the command's standard error goes to
    this process's standard error through a terminal of its own, so that it may draw progress.
    """
    command = [executable(), *arguments]
    if progress:
        status, stdout, stderr = _run_forwarding_stderr(command)
    else:
        completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False)
        status, stdout, stderr = completed.returncode, completed.stdout, completed.stderr
    if status != 0 and not (findings_exit and status == 3):
        raise Error.from_output(command, status, stderr.decode("utf-8", "replace"))
    return json.loads(stdout)


def _run_forwarding_stderr(command: list[str]) -> tuple[int, bytes, bytes]:
    """Runs `command` with its standard error on a pseudo-terminal that is copied to ours."""
    primary, secondary = pty.openpty()
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=secondary)
    finally:
        os.close(secondary)
    stdout: list[bytes] = []
    assert process.stdout is not None
    pipe = process.stdout
    reader = threading.Thread(target=lambda: stdout.append(pipe.read()), daemon=True)
    reader.start()
    stderr = bytearray()
    try:
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not chunk:
                break
            stderr += chunk
            sys.stderr.write(chunk.decode("utf-8", "replace"))
            sys.stderr.flush()
    finally:
        os.close(primary)
    status = process.wait()
    reader.join()
    pipe.close()
    return status, b"".join(stdout), bytes(stderr)


def path_argument(path: StrPath) -> str:
    """A path as an argument; one starting with `-` is made relative so it is not an option."""
    text = os.fspath(path)
    return os.path.join(".", text) if text.startswith("-") else text


def options(**values: object) -> list[str]:
    """Command-line options from keyword arguments, in order: `name_x=v` is ``--name-x=v`` (so a
    value may start with `-`), `True` a bare flag, a list comma-separated; `None` and `False` are
    left out."""
    arguments: list[str] = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        option = "--" + name.replace("_", "-")
        if value is True:
            arguments.append(option)
        elif isinstance(value, (list, tuple)):
            arguments.append(f"{option}={','.join(str(item) for item in value)}")
        elif isinstance(value, os.PathLike):
            arguments.append(f"{option}={os.fspath(value)}")
        else:
            arguments.append(f"{option}={value}")
    return arguments
