"""perfcodegen: make LLM-written code correct first, then fast, and measure both honestly."""

from perfcodegen.errors import PerfCodegenError
from perfcodegen.problems.model import Problem, TestCase, TestKind

__version__ = "0.1.0"

__all__ = ["PerfCodegenError", "Problem", "TestCase", "TestKind", "__version__"]
