"""Loader: custom (to be written)."""
