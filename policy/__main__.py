"""``python -m policy``: the same command as the ``policy`` console script."""

from policy.cli import main

if __name__ == "__main__":  # pragma: no cover
    main(prog_name="policy")
