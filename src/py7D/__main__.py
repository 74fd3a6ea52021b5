"""``python -m py7D`` runs the ``py7d`` command."""

from __future__ import annotations

from .cli import console

if __name__ == "__main__":
    console()
