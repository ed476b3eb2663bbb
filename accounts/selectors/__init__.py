"""Reads of accounts data: members (people, memberships, organisations) and groups."""
