"""Forms of the accounts pages; they parse input, the services decide."""
