"""The sandbox's Kubernetes API server: kmock's emulator with kube-apiserver's behaviour.
`python -m elasticache_sandbox.kube --port N --crd crds/ --kubeconfig PATH`."""
