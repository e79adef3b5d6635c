"""The systems: each composes blocks into one business capability, and nothing else."""
