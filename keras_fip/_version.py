"""The package version, in a module of its own so that reports and the build read it
without the package face."""

__version__ = "0.2.0"
