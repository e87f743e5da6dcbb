"""Loader: pie (to be written)."""
