"""The scale benchmark: AWS calls, latencies and footprint of the operator against the sandbox at N RedisClusters.

`python -m bench --sizes 10,100,1000` (or `scripts/bench`) starts, for each N, a fresh Kubernetes API
stand-in, ElastiCache API stand-in and operator as processes (no data plane), measures the six figures
(figures.py), prints a table and writes docs/benchmarks.md and docs/benchmarks.svg (report.py). Every
process it starts runs in a process group of its own and is stopped on the way out, failure or not.
"""
