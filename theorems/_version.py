"""The version of the installed distribution (read by setuptools at build time)."""

__version__ = "0.2.0"
