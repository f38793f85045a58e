"""Health, readiness and Prometheus metrics for load balancers and monitoring."""
