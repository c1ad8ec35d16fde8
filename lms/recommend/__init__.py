"""Recommendations: a pure ranking engine over plain data (`data`, `engine`, `explain`), and
the layer around it that loads that data, keeps a per-user cache fresh and shows it."""
