"""Loyalty: POS sales earn points, rewards are redeemed at the desk, mail follows the shop's voice."""
