"""The loopback scripted model server, for the optimize tests."""

from support.scripted_server import scripted_server  # noqa: F401
