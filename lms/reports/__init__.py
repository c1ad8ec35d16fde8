"""Reports: assessment analytics (aggregates only, suppressed below the minimum group size),
charts and exports."""
