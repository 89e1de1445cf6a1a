"""Spiders: they decide which URLs to fetch and in what order, nothing else."""
