"""Pages for ISAC admins: organisations, agreements, sectors, the audit log."""
