"""Lambda code: one package per system and a small shared package. Never imports Pulumi or ops."""
