"""The end-to-end benchmark: the pipeline as separate processes on a real broker and PostgreSQL,
against the raw broker in the same run. Run it with `make bench-e2e` or `python -m benchmarks.e2e`;
benchmarks/README.md says what each figure means."""
