"""Tests of the benchmarks (tests/benchmarks mirrors benchmarks/)."""
