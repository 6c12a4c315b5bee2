"""Sources: reading embeddings from files and built-in named sources."""

from icaxes.io.embeddings import Embeddings
from icaxes.io.sources import SOURCES, load_embeddings

__all__ = ["SOURCES", "Embeddings", "load_embeddings"]
