"""minillm: a small language model built from scratch, one lesson at a time.

The package grows with the course; its modules, in pipeline order, are listed in README.md. Each module
says in its docstring which lesson builds it. The command line is `minillm` (see minillm/cli.py).
"""

__version__ = "0.1.0"
