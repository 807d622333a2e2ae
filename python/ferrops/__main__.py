"""``python -m ferrops``: the ``ferrops`` command line, run by the Rust core.

The commands, flags, exit codes (0 passed, 1 failed, 2 usage error) and ``--json``
keys are those of the ``ferrops`` binary; see ``docs/cli.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._core import cli_main

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ferrops`` command line and return its exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 when the check passed, 1 when it failed (the reasons are printed), 2 for a
        usage error. Output goes to ``sys.stdout`` and ``sys.stderr``.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    return cli_main(["python -m ferrops", *args])


def _console() -> None:
    """Entry point of the ``ferrops`` console script that ``pip install`` creates."""
    sys.exit(main())


if __name__ == "__main__":
    _console()
