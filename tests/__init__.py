"""Smileback test suite."""
