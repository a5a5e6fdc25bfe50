"""Tests of the alerts service."""
