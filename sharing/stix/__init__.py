"""STIX 2.1: TLP marking definitions, object builders and the report bundle."""
