"""Charters: marketplace bookings fanned out to calendar, crew, guest page and the ops manager."""
