"""Programming problems, their tests, and one loader per benchmark."""

from perfcodegen.vocabulary import Problem, ProblemMetadata, TestCase, TestKind, make_id

__all__ = ["Problem", "ProblemMetadata", "TestCase", "TestKind", "make_id"]
