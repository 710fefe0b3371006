"""Benchmarks: each prints its figures next to the anchor it is compared to, measured in the
same run."""
