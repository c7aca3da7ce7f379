"""Keys, signatures, hashing, the Merkle tree and signed checkpoints. Pure: no I/O but key files."""
