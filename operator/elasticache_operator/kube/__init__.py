"""The edges to the Kubernetes API besides kopf's own: Secrets."""

# Every Kubernetes call of the operator's own (connect, read) seconds: a connection that dies without a
# reset must not hold a reconcile worker forever.
TIMEOUT = (5.0, 30.0)
