"""Floor 4, looking inside a network: the cell unrolled, the BPTT gradient probe, memory horizons, hidden states."""
