"""The government lane: consented, anonymised forwarding of reports to government partners'
TAXII 2.1 collections (AIS-style), and its record."""
