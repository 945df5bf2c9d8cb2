"""Scale benchmarks of dsr-workbench and the seeded synthetic-study generator.

Run ``python -m benchmarks.run`` from the repository root (``make bench``); it writes
``docs/benchmarks.md``. ``python -m benchmarks.run --quick`` is a smoke run with tiny sizes.
Scratch data goes to ``benchmarks/_work/`` (git-ignored).
"""
