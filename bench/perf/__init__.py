"""Speed of one cell's training and encoding: throughput, FLOPs, MFU (bench profile)."""
