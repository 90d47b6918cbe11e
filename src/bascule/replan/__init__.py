"""Re-planning on the store: build the problem, run the solvers, apply an accepted plan."""
