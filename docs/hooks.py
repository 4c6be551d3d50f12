"""MkDocs hooks: pages that are made from the repository when the site is built.

- ``methods.md`` gets a table of the solving methods from the solver
  registry (:data:`policy.solvers.METHODS`), so a new method shows up here by
  itself.

It fails the build with a plain message when the marker is missing.
On ``commands.md``, the "no default" marker of click 8.3 and later, which
mkdocs-click 0.9 shows as a default (``Sentinel.UNSET``), is left out.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
# The package documented is the one beside this file (mkdocs-click imports
# policy.cli by name, and the methods table reads the solver registry), not
# another copy that happens to be installed.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
METHODS_MARKER = "<!-- methods: table -->"


def _methods_table() -> str:
    from policy.solvers import METHODS

    rows = ["| method | what it finds | exact by default |", "|---|---|---|"]
    for name, m in METHODS.items():
        rows.append(f"| [`{name}`](#{name}) | {m.summary} | {'yes' if m.exact_default else 'no (float)'} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    path = page.file.src_uri
    if path == "methods.md":
        if METHODS_MARKER not in markdown:
            raise PluginError(f"docs/methods.md: the marker {METHODS_MARKER} is missing")
        return markdown.replace(METHODS_MARKER, _methods_table())
    return markdown


#: mkdocs-click 0.9 prints click 8.3's marker for "no default" as a default.
_UNSET = re.compile(r"<code>Sentinel\.UNSET</code>")


def on_page_content(html: str, page: Any, **_: Any) -> str:
    if page.file.src_uri == "commands.md":
        return _UNSET.sub("", html)
    return html
