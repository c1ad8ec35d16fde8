"""Privacy: a person's own data download, pseudonymisation of departed staff, retention."""
