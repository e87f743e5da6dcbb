"""Loader: ecco (to be written)."""
