"""Turning submissions into validated STIX 2.1: pure functions plus the services that store them.

Pure modules (no database): refang, extract, warninglists, scrub, antitrust, analysis,
parsers, pipeline. Database work lives only in services.py and selectors.py.
"""
