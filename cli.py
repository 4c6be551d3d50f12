"""Run the `policy` command from a source checkout: ``python cli.py ...``.

The command itself lives in :mod:`policy.cli`; installs get the ``policy``
console script and ``python -m policy``, so no top-level module is installed.
"""

from policy.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="policy")
