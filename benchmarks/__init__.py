"""Speed and memory of sachstand, measured against same-run baselines: ``python -m benchmarks``."""
