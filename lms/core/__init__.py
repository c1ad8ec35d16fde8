"""Infrastructure with no domain knowledge: database, time, errors, access, mail, jobs."""
