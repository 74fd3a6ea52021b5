"""The pieces of the ``py7d`` command (see :mod:`py7D.cli`); imported only when needed."""
