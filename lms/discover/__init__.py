"""Finding the right learning: theme month pages, entrances by subject, area and department."""
