"""The local control plane: Kubernetes and ElastiCache API stand-ins and the demo. Not in the image."""
