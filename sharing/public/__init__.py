"""The ISAC's public TLP:CLEAR feed: released reports for anyone, without signing in.

An Atom/RSS feed of report summaries, plain-text and CSV indicator lists for firewalls and
blocklist tools, a public page and STIX bundle per report, and an unauthenticated TAXII 2.1
collection. Off until an ISAC admin turns it on (`services.public_feed_set`); what it
carries is decided by sharing.policy's public reads alone (docs/tlp.md, "The public feed").
"""
