"""Dispatch: bookings, jobs, live tracking links and the dispatcher's board."""
