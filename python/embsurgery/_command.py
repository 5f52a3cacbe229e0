"""Running the native ``embsurgery`` executable that the wheel installs beside Python.

The command speaks JSON: ``--json`` puts the report (or, on a failure, ``{"error": {"kind",
"path", "message"}}``) on standard output, and ``--progress jsonl`` puts one ``{"done", "total",
"unit"}`` object a step on standard error. Token lists and texts go to its standard input. Nothing
here reads the command's human output.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import IO, Any, Union

StrPath = Union[str, "os.PathLike[str]"]
Progress = Callable[[int, int, str], object]
"""A progress callback: called with (done, total, unit) at each step (``unit`` is ``"bytes"``)."""

EXECUTABLE = "embsurgery"


class Error(Exception):
    """The command failed.

    ``message`` is its one-line message (what it prints after ``error:``), ``kind`` a stable name
    of the failure (``file_system``, ``invalid_output``, ..., ``usage`` for a bad argument or a
    misused option), ``path`` the file it is about (or ``None``), ``status`` its exit status (1 for
    bad input, 64 for a usage error, 128 + N when killed by signal N); ``stderr`` is all it printed
    there.
    """

    def __init__(
        self, message: str, status: int, command: Sequence[str] = (), stderr: str = "", kind: str = "",
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.command = list(command)
        self.stderr = stderr
        self.kind = kind
        self.path = path

    def __str__(self) -> str:
        return self.message


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
        folders.append(sysconfig.get_path("scripts", _user_scheme()))
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


def _user_scheme() -> str:
    """The name of sysconfig's user installation scheme (where ``pip install --user`` puts scripts)."""
    if sys.version_info >= (3, 10):
        return sysconfig.get_preferred_scheme("user")
    return f"{os.name}_user"  # Python 3.9: posix_user (nt_user on Windows), as site and pip name it


def run_json(
    arguments: Sequence[str], *, findings_exit: bool = False, progress: Progress | None = None,
    stdin: Iterable[bytes] | None = None,
) -> Any:
    """Runs ``embsurgery ARGUMENTS`` (which include ``--json``) and returns the parsed document.

    Exit 0 is success; with `findings_exit`, so is 3 (``audit`` and ``diff`` found something).
    Any other status raises ``Error`` with the command's error document. With `progress` (the
    arguments then include ``--progress jsonl``), it is called at each step the command reports.
    `stdin` is written to the command's standard input as it yields (a large corpus is never all
    in memory).
    """
    command = [executable(), *arguments]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    threads: list[threading.Thread] = []
    failures: list[BaseException] = []
    if stdin is not None:
        assert process.stdin is not None
        threads.append(threading.Thread(target=_feed, args=(process, stdin, failures), daemon=True))
    stderr: list[bytes] = []
    threads.append(threading.Thread(target=_read_errors, args=(process.stderr, progress, stderr), daemon=True))
    for thread in threads:
        thread.start()
    stdout = process.stdout.read()
    status = process.wait()
    for thread in threads:
        thread.join()
    process.stdout.close()
    process.stderr.close()
    if failures:  # the caller's iterable raised (a TypeError for a text that is not a string)
        raise failures[0]
    if status != 0 and not (findings_exit and status == 3):
        raise _error(command, status, stdout, b"".join(stderr).decode("utf-8", "replace"))
    return json.loads(stdout)


def _feed(process: subprocess.Popen[bytes], chunks: Iterable[bytes], failures: list[BaseException]) -> None:
    """Writes `chunks` to the command's standard input, then closes it. When the iterable raises,
    the command is stopped first (SIGTERM: it removes what it started writing), so a partial
    input is never taken for the whole."""
    pipe = process.stdin
    assert pipe is not None
    try:
        for chunk in chunks:
            pipe.write(chunk)
    except BrokenPipeError:  # the command stopped reading (it failed): its error says why
        pass
    except BaseException as failure:  # noqa: BLE001 - handed to the caller's thread
        failures.append(failure)
        process.terminate()
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass


def _read_errors(pipe: IO[bytes], progress: Progress | None, kept: list[bytes]) -> None:
    """Reads the command's standard error: progress objects go to `progress`, the rest is kept."""
    for line in pipe:
        if progress is not None and line.startswith(b"{"):
            try:
                step = json.loads(line)
            except ValueError:
                step = None
            if isinstance(step, dict) and "done" in step:
                progress(int(step["done"]), int(step["total"]), str(step["unit"]))
                continue
        kept.append(line)


def _error(command: list[str], status: int, stdout: bytes, stderr: str) -> Error:
    """The error of a run that exited with `status`: from its error document when it printed one."""
    if status < 0:  # subprocess reports a signal as its negative number
        status = 128 - status
    try:
        detail = json.loads(stdout)["error"]
        return Error(detail["message"], status, command, stderr, detail["kind"], detail["path"])
    except (ValueError, KeyError, TypeError):
        return Error(f"{EXECUTABLE} exited with status {status}", status, command, stderr)


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


def progress_handler(progress: bool | Progress) -> Progress | None:
    """The callback of ``progress=``: `True` draws a bar on standard error (tqdm's when tqdm is
    installed, else a simple one), a callable is called as it is, `False` shows nothing."""
    if progress is False:
        return None
    if progress is True:
        return _Bar()
    if callable(progress):
        return progress
    raise TypeError("progress must be True, False or a callable (done, total, unit)")


class _Bar:
    """A progress bar on ``sys.stderr``: tqdm's when it is installed, else one line redrawn."""

    def __init__(self) -> None:
        self._tqdm: Any = None
        self._shown = -1
        self._module: Any
        try:
            self._module = importlib.import_module("tqdm")
        except ImportError:
            self._module = None

    def __call__(self, done: int, total: int, unit: str) -> None:
        if self._module is not None:
            if self._tqdm is None:
                self._tqdm = self._module.tqdm(total=total, unit="B" if unit == "bytes" else unit, unit_scale=True)
            self._tqdm.update(done - self._tqdm.n)
            if done >= total:
                self._tqdm.close()
            return
        percent = done * 100 // total if total else 100
        if percent != self._shown:
            self._shown = percent
            filled = percent * 30 // 100
            sys.stderr.write(f"\r{'#' * filled}{'.' * (30 - filled)} {percent}%")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()
