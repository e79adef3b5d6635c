"""Operator tooling: deploy, plan, local mode, secrets, benchmarks."""
