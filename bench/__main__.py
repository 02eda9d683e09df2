"""`python -m bench [NAME] [args]`: run one benchmark, or list them.

Each prints figures against a baseline measured in the same run; none passes or fails on time.
"""
import importlib
import pkgutil
import sys
from pathlib import Path

names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))
if len(sys.argv) < 2 or sys.argv[1] not in names:
    print("usage: python -m bench NAME [args]\nbenchmarks: " + ", ".join(names))
    sys.exit(0 if len(sys.argv) < 2 else 2)
name = sys.argv.pop(1)
sys.argv[0] = f"bench.{name}"
importlib.import_module(f"bench.{name}").main()
