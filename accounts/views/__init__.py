"""The accounts pages, one module per area; ISAC admin pages under isac/."""
