"""Loader: mbpp (to be written)."""
