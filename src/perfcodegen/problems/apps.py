"""Loader: apps (to be written)."""
