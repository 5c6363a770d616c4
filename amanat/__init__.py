"""Amanat: election administration and election-security platform."""

__version__ = "0.1.0"
