"""Indicator lifecycle: scores that decay with time, sightings, expiry and revocation."""
