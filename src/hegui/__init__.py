"""hegui (合规): compliance system for providers of generative AI services in China."""

__all__ = ["__version__"]

__version__ = "0.1.0"
