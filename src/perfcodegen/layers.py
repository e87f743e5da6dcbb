"""The package's layers, lowest first: a module imports only from its own layer or below,
and packages do not import each other in a cycle (tests/structure checks both).

docs/architecture.md explains each layer; this table is the one place the order is written.
"""

LAYERS: tuple[tuple[str, ...], ...] = (
    ("errors", "paths", "plain", "vocabulary", "config", "protocols", "layers"),
    ("judge",),
    ("backends", "serve"),
    ("llm", "problems", "measuring", "sequential", "solutions"),
    ("store", "metrics"),
    ("methods",),
    ("settings", "plan", "pipeline", "finalize", "rescore", "efficiency", "finetune", "optimize"),
    ("report", "export", "results"),
    ("api",),
    ("cli", "__main__"),
)
"""Top-level modules and packages of `perfcodegen`, by layer. The package's own `__init__`
(the lazy facade of `import perfcodegen`) sits above them all."""


def layer_of(top: str) -> int:
    """The layer of a top-level module or package of perfcodegen (its first name part after
    `perfcodegen.`); an unknown name is an error, so a new package must be placed."""
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise KeyError(f"perfcodegen.{top} has no layer in perfcodegen.layers.LAYERS")
