"""Sector feeds, subscriptions and the durable fan-out of reports to members."""
