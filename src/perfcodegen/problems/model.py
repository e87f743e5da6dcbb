"""The problem model, kept here for earlier imports: it lives in `perfcodegen.vocabulary`
(the base layer), so that the judge can use it without importing the problem loaders."""

from perfcodegen.vocabulary.problem import *  # noqa: F403 (its __all__: re-exported)
