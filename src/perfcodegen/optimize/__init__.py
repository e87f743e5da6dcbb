"""`perfcodegen optimize`: a faster version of your own function, verified to behave the same.

See docs/optimize.md. The Python entry point is `perfcodegen.optimize.optimize`.
"""

from perfcodegen.optimize.api import optimize
from perfcodegen.optimize.loop import OptimizeOptions, OptimizeResult

__all__ = ["OptimizeOptions", "OptimizeResult", "optimize"]
