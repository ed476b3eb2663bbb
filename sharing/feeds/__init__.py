"""Feeds: saved filters over the reports a viewer may receive, pushed by fan-out and
polled over TAXII."""
