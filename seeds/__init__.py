"""Bundled data: the source catalogue, the seed corpus and the offline demo site."""

from pathlib import Path

SEEDS_DIR = Path(__file__).parent
