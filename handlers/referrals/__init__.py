"""Referral links: the click redirect, staff stats and vendor outreach."""
