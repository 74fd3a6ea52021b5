"""Write the man page py7d(1) from the command's own parsers.

    python scripts/gen_manpage.py py7d.1 && man ./py7d.1

With no argument the page goes to stdout. Install it where man looks, e.g.
``install -D -m 644 py7d.1 ~/.local/share/man/man1/py7d.1``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from py7D._cli.manual import roff


def main(argv: list[str]) -> int:
    page = roff()
    if argv:
        Path(argv[0]).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
