"""admtrack — track the ASEAN Digital Masterplan 2030 targets."""

__version__ = "0.1.0"
