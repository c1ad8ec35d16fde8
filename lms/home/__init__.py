"""Site pages above the domains: the start page and the accessibility statement."""
