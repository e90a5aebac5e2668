"""Allocates (and touches) memory until it gets no more: far more than any machine has."""
chunks = []
while True:
    chunks.append(bytearray(64 * 1024 * 1024))
