"""minillm: a small language model built from scratch, one lesson at a time.

The pipeline's modules stand in lesson order, each saying in its docstring which lesson builds it;
ARCHITECTURE.md draws the house. The command line is `minillm` (minillm/cli.py).
"""

__version__ = "0.1.0"
