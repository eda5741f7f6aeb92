"""import-linter on the package as it is installed: ``python tools/staged.py lint-imports``.

Kept so the command in the README and older notes still works; see tools/staged.py for why the
package is staged first.

    python tools/lint_imports.py            # exit status of lint-imports
    python tools/lint_imports.py --keep DIR # stage into DIR and keep it (to plant an import)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from staged import main as staged_main


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    keep = args[:2] if args[:1] == ["--keep"] else []
    return staged_main([*keep, "lint-imports", *args[len(keep) :]])


if __name__ == "__main__":
    raise SystemExit(main())
