"""Loader: humaneval (to be written)."""
