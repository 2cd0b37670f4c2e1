"""sachstand: the register and yearly status report of a city's eGovernment projects."""

__version__ = "0.1.0"
