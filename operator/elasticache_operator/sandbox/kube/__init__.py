"""The sandbox's Kubernetes API server: kmock's emulator with kube-apiserver's behaviour.
`python -m elasticache_operator.sandbox.kube --port N --crd crds/redisclusters.yaml --kubeconfig PATH`."""
