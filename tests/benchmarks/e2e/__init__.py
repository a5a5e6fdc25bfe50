"""Tests of the end-to-end benchmark's pure parts."""
