"""Sources: reading embeddings from files and built-in named sources."""

from icaxes.io.embeddings import Embeddings
from icaxes.io.sources import SOURCES, SourceSpec, load_embeddings, parse_source, register_source

__all__ = ["SOURCES", "Embeddings", "SourceSpec", "load_embeddings", "parse_source", "register_source"]
