"""On-demand benchmarks (``make bench``): each figure beside its baseline, measured in the same run."""
