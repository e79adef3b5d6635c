"""What every block needs to know about the stack: its config, names, stage policy and context."""
