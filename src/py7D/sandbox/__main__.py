"""``python -m py7D.sandbox``: run the sandbox server (same options as ``py7d sandbox``)."""

from __future__ import annotations

from . import main

if __name__ == "__main__":
    raise SystemExit(main())
