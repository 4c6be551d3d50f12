"""MkDocs hooks: pages that are made from the repository when the site is built.

- ``scenario.md`` gets the README's answer to the scenario's question (the
  section whose level-2 heading names Tukhachevsky), so the essay has one
  home, the README, and the site shows it as it stands.
- ``methods.md`` gets a table of the solving methods from the solver
  registry (:data:`policy.solvers.METHODS`), so a new method shows up here by
  itself.

Both fail the build with a plain message when what they need is missing.
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
README_MARKER = "<!-- readme: scenario -->"
METHODS_MARKER = "<!-- methods: table -->"
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)\)")


def _section(text: str, word: str) -> str:
    """The README's level-2 section whose heading contains ``word``, heading included."""
    lines = text.splitlines()
    start = next((k for k, line in enumerate(lines) if line.startswith("## ") and word in line), None)
    if start is None:
        raise PluginError(f"README.md: no '## ' heading mentions {word!r}; docs/scenario.md shows that section")
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]).strip() + "\n"


def _relink(markdown: str) -> str:
    """README links made to work from the site: docs/ pages by their name, other files as plain names."""

    def fix(m: re.Match[str]) -> str:
        bang, label, target = m.groups()
        if target.startswith(("http://", "https://", "mailto:")):
            return m.group(0)
        if target.startswith("docs/"):
            return f"{bang}[{label}]({target.removeprefix('docs/')})"
        if target.startswith("#") or bang:
            return label
        return label if f"`{target}`" == label or label == target else f"{label} (`{target}`)"

    return _LINK.sub(fix, markdown)


def _methods_table() -> str:
    from policy.solvers import METHODS

    rows = ["| method | what it finds | exact by default |", "|---|---|---|"]
    for name, m in METHODS.items():
        rows.append(f"| [`{name}`](#{name}) | {m.summary} | {'yes' if m.exact_default else 'no (float)'} |")
    return "\n".join(rows) + "\n"


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    path = page.file.src_uri
    if path == "scenario.md":
        if README_MARKER not in markdown:
            raise PluginError(f"docs/scenario.md: the marker {README_MARKER} is missing")
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        return markdown.replace(README_MARKER, _relink(_section(readme, "Tukhachevsky")))
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
