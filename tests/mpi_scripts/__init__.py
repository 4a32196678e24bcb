"""Scripts that tests start under mpirun, and the helper that starts them."""
