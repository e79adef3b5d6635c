"""Pulumi ComponentResources: one concept per module, one module per system composing them."""
