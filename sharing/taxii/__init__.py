"""TAXII 2.1 (OASIS) server: protocol rules here, endpoints in views."""
