"""Pulumi ComponentResources, read in order: `stack/` (config, naming, stage policy), `blocks/`
(one AWS concept each), `systems/` (one business capability each, composing blocks)."""
