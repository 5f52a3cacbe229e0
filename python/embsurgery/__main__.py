"""``python -m embsurgery ARGS`` runs the native command with ARGS."""

import os
import sys

from ._command import Error, executable


def main() -> None:
    try:
        path = executable()
    except Error as error:
        sys.exit(f"error: {error}")
    os.execv(path, [path, *sys.argv[1:]])


if __name__ == "__main__":
    main()
