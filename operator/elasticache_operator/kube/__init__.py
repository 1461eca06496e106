"""The edges to the Kubernetes API besides kopf's own: Secrets."""
