"""The seeded generator of the synthetic demo audit in `raw/demo/` ("Exempeldata").

Run `python -m enkat.demo` to rewrite it; the same seed gives byte-identical files.
"""

from enkat.demo.generate import SEED, generate

__all__ = ["SEED", "generate"]
