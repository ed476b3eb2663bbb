"""MISP feeds: every feed and trust group a member reads, as a feed a MISP instance pulls."""
