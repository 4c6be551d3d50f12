"""Build hook: copy the bundled scenario into the package when a wheel is built.

The games, leader profiles, records and claims catalogue live at the top of the
repository (``games/``, ``seeds/``) where readers find them. A wheel installs
packages only, so the build copies both folders to ``policy/_data``, where
:func:`policy.bundled.data_root` looks first. Everything else is declared in
pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLED = ("games", "seeds")


class BuildWithScenario(build_py):
    """``build_py`` that also copies ``games/`` and ``seeds/`` into ``policy/_data``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = Path(self.build_lib) / "policy" / "_data"
        for name in BUNDLED:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing: the wheel would ship no scenario")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(
                source,
                target / name,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
            )


setup(cmdclass={"build_py": BuildWithScenario})
