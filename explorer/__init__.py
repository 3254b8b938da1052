"""RNN Explorer's engine, in floors: data → nn → train → introspect → charts → tasks → server → export.

Each package is a floor; a module imports only its own floor and those below (tests/test_floors.py).
Never imports streamlit, so every part works from tests, notebooks and scripts. TensorFlow is
imported only by the modules that need it, so importing `explorer` itself is cheap.
"""
