"""`python -m benchmarks.e2e`, from the repository root."""

from benchmarks.e2e.run import main

raise SystemExit(main())
