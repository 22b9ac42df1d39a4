"""The shared fixtures and helpers live in tests/support (a pytest plugin, loaded here);
each folder's conftest.py holds only what that folder uses."""

pytest_plugins = ["tests.support"]
