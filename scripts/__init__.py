"""Operator and maintainer scripts (not part of the installed package)."""
